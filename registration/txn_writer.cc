#include "registration/txn_writer.h"

#include <utility>

#include "etcd/errors.h"

namespace registrar::controller {
namespace {

// Only a refusal the request itself causes is worth splitting for: an alarm
// (NOSPACE), an overloaded or leaderless cluster refuses every key alike.
bool RefusedForContent(const absl::Status& s) {
  return etcd::IsRequestsOwnFault(etcd::ClassifyEtcdError(s));
}

class Writer {
 public:
  Writer(etcd::Client& client, const std::vector<etcd::Compare>& fence,
         const std::function<void(const std::vector<etcd::Op>&, int64_t)>& on_txn, WriteResult& out)
      : client_(client), fence_(fence), on_txn_(on_txn), out_(out) {}

  // False when the writer must stop (fenced or an error to retry).
  bool Send(const std::vector<etcd::Op>& ops) {
    if (ops.empty()) return true;
    auto r = client_.Txn(fence_, ops);
    if (r.ok()) {
      if (!r->succeeded) {
        out_.fenced = true;
        return false;
      }
      ++out_.txns;
      out_.revision = r->revision;
      for (const auto& op : ops) {
        if (op.type == etcd::Op::Type::kPut) {
          out_.done.puts.emplace_back(op.key, op.value);
        } else {
          out_.done.deletes.push_back(op.key);
        }
      }
      if (on_txn_) on_txn_(ops, r->revision);
      return true;
    }
    if (!RefusedForContent(r.status())) {
      out_.status = r.status();
      return false;
    }
    if (ops.size() == 1) {
      out_.rejected[ops[0].key] = std::string(r.status().message());
      return true;
    }
    const auto mid = ops.begin() + static_cast<std::ptrdiff_t>(ops.size() / 2);
    return Send(std::vector<etcd::Op>(ops.begin(), mid)) &&
           Send(std::vector<etcd::Op>(mid, ops.end()));
  }

 private:
  etcd::Client& client_;
  const std::vector<etcd::Compare>& fence_;
  const std::function<void(const std::vector<etcd::Op>&, int64_t)>& on_txn_;
  WriteResult& out_;
};

}  // namespace

WriteResult WritePlan(etcd::Client& client, const Plan& plan, int64_t lease_id,
                      const std::vector<etcd::Compare>& fence,
                      const std::function<void(const std::vector<etcd::Op>&, int64_t)>& on_txn) {
  WriteResult out;
  Writer writer(client, fence, on_txn, out);
  for (const auto& batch : ToTxnBatches(plan, lease_id)) {
    if (!writer.Send(batch)) break;
  }
  return out;
}

}  // namespace registrar::controller
