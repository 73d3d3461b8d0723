// dnsSd's reading of raw DNS responses, on hand-built messages: what a good
// answer lists, and that every hostile message is malformed as a whole.
#include "sources/dns_message.h"

#include <gtest/gtest.h>

#include <string>

namespace registrar::sources {
namespace {

using Bytes = std::string;

Bytes U16(int v) { return {static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)}; }
Bytes U32(uint32_t v) { return U16(static_cast<int>(v >> 16)) + U16(static_cast<int>(v & 0xffff)); }

// "a.example" → \1a\7example\0
Bytes Name(const std::string& dotted) {
  Bytes out;
  size_t start = 0;
  while (start < dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string::npos) dot = dotted.size();
    out += static_cast<char>(dot - start);
    out += dotted.substr(start, dot - start);
    start = dot + 1;
  }
  return out + '\0';
}
Bytes Pointer(int offset) { return U16(0xc000 | offset); }

Bytes Header(int questions, int answers) {
  return U16(0x1234) + U16(0x8180) + U16(questions) + U16(answers) + U16(0) + U16(0);
}
Bytes Question(const Bytes& name, int type) { return name + U16(type) + U16(1); }
Bytes Record(const Bytes& owner, int type, uint32_t ttl, const Bytes& data, int klass = 1) {
  return owner + U16(type) + U16(klass) + U32(ttl) + U16(static_cast<int>(data.size())) + data;
}
Bytes Srv(int priority, int weight, int port, const Bytes& target) {
  return U16(priority) + U16(weight) + U16(port) + target;
}

constexpr int kSrv = 33, kA = 1, kAaaa = 28, kCname = 5;
const Bytes kQname = Name("_http._tcp.sd.test");  // at offset 12

DnsAnswer Parse(const Bytes& m, DnsRecordType type = DnsRecordType::kSrv) {
  return ParseDnsAnswer(reinterpret_cast<const unsigned char*>(m.data()),
                        static_cast<int>(m.size()), type);
}

TEST(ParseDnsAnswer, ListsSrvTargetsWithPortWeightPriorityAndTheSmallestTtl) {
  const Bytes m = Header(1, 2) + Question(kQname, kSrv) +
                  Record(Pointer(12), kSrv, 300, Srv(10, 20, 8080, Name("a.sd.test"))) +
                  Record(Pointer(12), kSrv, 60, Srv(0, 0, 8081, Name("b.sd.test")));
  const DnsAnswer a = Parse(m);
  ASSERT_TRUE(a.ok()) << a.error;
  ASSERT_EQ(a.records.size(), 2u);
  EXPECT_EQ(a.records[0], (DnsRecord{"a.sd.test", 8080, 10, 20, 300}));
  EXPECT_EQ(a.records[1], (DnsRecord{"b.sd.test", 8081, 0, 0, 60}));
  EXPECT_EQ(a.min_ttl, 60u);
}

TEST(ParseDnsAnswer, FollowsCompressionPointersInSrvTargets) {
  // The target "x" + pointer to "sd.test" inside the question's name.
  const int sd_test = 12 + 1 + 5 + 1 + 4;  // past "\5_http\4_tcp"
  const Bytes target = Bytes("\1x", 2) + Pointer(sd_test);
  const Bytes m =
      Header(1, 1) + Question(kQname, kSrv) + Record(Pointer(12), kSrv, 5, Srv(1, 2, 3, target));
  const DnsAnswer a = Parse(m);
  ASSERT_TRUE(a.ok()) << a.error;
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(a.records[0].host, "x.sd.test");
}

TEST(ParseDnsAnswer, ListsAddressesAndSkipsOtherTypesAndClasses) {
  const Bytes m = Header(1, 4) + Question(Name("w.sd.test"), kA) +
                  Record(Pointer(12), kCname, 1, Name("v.sd.test")) +
                  Record(Name("v.sd.test"), kA, 30, Bytes("\x0a\x00\x00\x01", 4)) +
                  Record(Name("v.sd.test"), kA, 2, Bytes("\x0a\x00\x00\x03", 4), /*klass=*/3) +
                  Record(Name("v.sd.test"), kA, 20, Bytes("\x0a\x00\x00\x02", 4));
  const DnsAnswer a = Parse(m, DnsRecordType::kA);
  ASSERT_TRUE(a.ok()) << a.error;
  ASSERT_EQ(a.records.size(), 2u);
  EXPECT_EQ(a.records[0].host, "10.0.0.1");
  EXPECT_EQ(a.records[1].host, "10.0.0.2");
  EXPECT_EQ(a.min_ttl, 20u);  // neither the CNAME's nor the other class's
}

TEST(ParseDnsAnswer, WritesIpv6AddressesCanonically) {
  Bytes v6(16, '\0');
  v6[0] = '\xfd', v6[15] = '\x01';
  const Bytes m =
      Header(1, 1) + Question(Name("w.sd.test"), kAaaa) + Record(Pointer(12), kAaaa, 9, v6);
  const DnsAnswer a = Parse(m, DnsRecordType::kAaaa);
  ASSERT_TRUE(a.ok()) << a.error;
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(a.records[0].host, "fd00::1");
}

TEST(ParseDnsAnswer, SkipsSrvRecordsWhoseTargetIsTheRoot) {
  const Bytes m = Header(1, 1) + Question(kQname, kSrv) +
                  Record(Pointer(12), kSrv, 5, Srv(0, 0, 0, Bytes(1, '\0')));
  const DnsAnswer a = Parse(m);
  ASSERT_TRUE(a.ok()) << a.error;
  EXPECT_TRUE(a.records.empty());
  EXPECT_FALSE(a.min_ttl.has_value());
}

TEST(ParseDnsAnswer, ReadsATtlWithTheTopBitSetAsZero) {
  const Bytes m = Header(1, 1) + Question(kQname, kSrv) +
                  Record(Pointer(12), kSrv, 0x80000000u, Srv(0, 0, 1, Name("a.sd.test")));
  const DnsAnswer a = Parse(m);
  ASSERT_TRUE(a.ok()) << a.error;
  EXPECT_EQ(a.min_ttl, 0u);
}

TEST(ParseDnsAnswer, AnAnswerWithoutRecordsListsNothing) {
  const DnsAnswer a = Parse(Header(1, 0) + Question(kQname, kSrv));
  ASSERT_TRUE(a.ok()) << a.error;
  EXPECT_TRUE(a.records.empty());
  EXPECT_FALSE(a.min_ttl.has_value());
}

// Each hostile message is malformed as a whole, whatever good records precede
// the bad part.
void ExpectMalformed(const Bytes& m, DnsRecordType type = DnsRecordType::kSrv) {
  const DnsAnswer a = Parse(m, type);
  EXPECT_FALSE(a.ok());
  EXPECT_TRUE(a.records.empty());
  EXPECT_FALSE(a.min_ttl.has_value());
}

const Bytes kGood = Record(Pointer(12), kSrv, 5, Srv(0, 0, 1, Name("a.sd.test")));

TEST(ParseDnsAnswer, RejectsMessagesCutShort) {
  ExpectMalformed("");
  ExpectMalformed(Header(1, 0).substr(0, 11));
  ExpectMalformed(Header(1, 0) + kQname);               // question without type and class
  ExpectMalformed(Header(1, 0) + kQname.substr(0, 5));  // name cut
  ExpectMalformed(Header(1, 2) + Question(kQname, kSrv) + kGood);  // a record missing
  const Bytes whole = Header(1, 1) + Question(kQname, kSrv) + kGood;
  for (size_t cut = 12; cut < whole.size(); ++cut) ExpectMalformed(whole.substr(0, cut));
}

TEST(ParseDnsAnswer, RejectsDataLengthsPastTheEnd) {
  const Bytes record =
      Pointer(12) + U16(kSrv) + U16(1) + U32(5) + U16(200) + Srv(0, 0, 1, Name("a.sd.test"));
  ExpectMalformed(Header(1, 2) + Question(kQname, kSrv) + kGood + record);
}

TEST(ParseDnsAnswer, RejectsCompressionLoopsAndPointersPastTheEnd) {
  const Bytes head = Header(1, 2) + Question(kQname, kSrv) + kGood;
  const int here = static_cast<int>(head.size());
  ExpectMalformed(head + Record(Pointer(here), kSrv, 5, Srv(0, 0, 1, Name("b"))));
  // The target "x" + a pointer back to its own start (owner 2, fixed 10, SRV 6).
  const Bytes loop_target = Bytes("\1x", 2) + Pointer(here + 12 + 6);
  ExpectMalformed(head + Record(Pointer(12), kSrv, 5, Srv(0, 0, 1, loop_target)));
  ExpectMalformed(head + Record(Pointer(12), kSrv, 5, Srv(0, 0, 1, Pointer(4000))));
}

TEST(ParseDnsAnswer, RejectsSrvTargetsThatAreNotWithinTheirRecordOrNotHostNames) {
  const Bytes head = Header(1, 2) + Question(kQname, kSrv) + kGood;
  // rdlength says the target ends after "\1a": its labels run on.
  const Bytes long_target =
      Pointer(12) + U16(kSrv) + U16(1) + U32(5) + U16(8) + Srv(0, 0, 1, Name("a.sd.test"));
  ExpectMalformed(head + long_target);
  ExpectMalformed(head + Record(Pointer(12), kSrv, 5, Srv(0, 0, 1, Bytes("\3a b\0", 5))));
  ExpectMalformed(head + Record(Pointer(12), kSrv, 5, Srv(0, 0, 1, Bytes("\3a.b\0", 5))));
  ExpectMalformed(head + Record(Pointer(12), kSrv, 5, Bytes("\0\0\0\0\0", 5)));  // too short
}

TEST(ParseDnsAnswer, RejectsAddressesOfTheWrongLength) {
  const Bytes q = Header(1, 1) + Question(Name("w.sd.test"), kA);
  ExpectMalformed(q + Record(Pointer(12), kA, 1, Bytes(5, '\1')), DnsRecordType::kA);
  ExpectMalformed(q + Record(Pointer(12), kA, 1, Bytes(3, '\1')), DnsRecordType::kA);
  const Bytes q6 = Header(1, 1) + Question(Name("w.sd.test"), kAaaa);
  ExpectMalformed(q6 + Record(Pointer(12), kAaaa, 1, Bytes(4, '\1')), DnsRecordType::kAaaa);
}

}  // namespace
}  // namespace registrar::sources
