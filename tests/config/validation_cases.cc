// The validation cases: configs and the exact errors each must produce.
#include "tests/config/validation_cases.h"

namespace registrar::config::cases {
namespace {

// A valid config whose parts the cases below replace. Lines 1-4.
constexpr char kHead[] =
    "etcd:\n"
    "  endpoints: [\"127.0.0.1:2379\"]\n"
    "registration:\n"
    "  prefix: /services/\n";

// A valid service list, lines 5-8.
constexpr char kServices[] =
    "services:\n"
    "  - name: orders\n"
    "    probe: {httpGet: {path: /healthz}}\n"
    "    endpoints: [\"127.0.0.1:8080\"]\n";

std::string Head() { return kHead; }
// A service (lines 5-...) with `probe` and `endpoints` lines given.
std::string Service(const std::string& probe, const std::string& rest = "") {
  return Head() +
         "services:\n"
         "  - name: orders\n"
         "    probe: " +
         probe + "\n" + (rest.empty() ? "    endpoints: [\"127.0.0.1:8080\"]\n" : rest);
}

}  // namespace

const std::vector<ValidationCase>& ValidationCases() {
  static const std::vector<ValidationCase> cases = {
      {"ValidConfigHasNoErrors", Head() + kServices, {}},
      {"YamlSyntaxError",
       "etcd:\n  endpoints: [\"a:1\"\n",
       {"config.yaml:3:1: invalid YAML: end of sequence flow not found"}},
      {"MoreThanOneDocument",
       Head() + kServices + "---\netcd: {}\n",
       {"config.yaml:9:1: expected one YAML document, got 2"}},
      // yaml-cpp 0.7's LoadAll never returned on these (fuzz_config).
      {"StrayFlowEntryAfterADocumentIsNotAnEndlessStream",
       "{etcd: {endpoints: [\"127.0.0.1:2379\"]}}\n,\n",
       {"config.yaml:2:1: invalid YAML: unexpected ','"}},
      {"StrayFlowEntryAloneIsNotAnEndlessStream",
       "&a ,\n",
       {"config.yaml:1:4: invalid YAML: unexpected ','"}},
      // fuzz_config: a json value's writer throws on such bytes.
      {"MetadataThatIsNotUtf8",
       Head() + "services:\n  - name: orders\n    format: json\n    metadata: {z\x89ne: a}\n"
                "    probe: {tcpSocket: {}}\n    endpoints: [\"127.0.0.1:8080\"]\n",
       {"config.yaml:8:16: services[0].metadata: expected UTF-8 text, got byte 0x89 at offset 1 "
        "of a 4-byte string"}},
      {"TopLevelNotAMapping",
       "- a\n- b\n",
       {"config.yaml:1:1: (top level): expected a mapping, got a list"}},
      {"UnknownTopLevelKeySuggestsTheClosest",
       Head() + "servises: []\n",
       {"config.yaml:5:1: servises: unknown key; did you mean \"services\"?"}},
      {"UnknownKeyListsTheKnownOnes",
       Head() + kServices + "extra: 1\n",
       {"config.yaml:9:1: extra: unknown key; expected one of: etcd, registration, cluster, "
        "server, log, metrics, probes, defaults, services"}},
      {"DuplicateKey",
       Head() + "registration: {}\n",
       {"config.yaml:5:1: registration: duplicate key"}},
      {"MissingEtcdSection",
       std::string("services: []\n"),
       {"config.yaml:1:1: etcd.endpoints: missing required field (or set --etcd-endpoints / "
        "REGISTRAR_ETCD_ENDPOINTS)"}},
      {"MissingEtcdEndpoints",
       "etcd:\n  dialTimeout: 5s\n",
       {"config.yaml:2:3: etcd.endpoints: missing required field; or set --etcd-endpoints / "
        "REGISTRAR_ETCD_ENDPOINTS"}},
      {"BadEtcdEndpoint",
       "etcd:\n  endpoints: [\"127.0.0.1:2379\", \"ftp://x:1\"]\n",
       {"config.yaml:2:33: etcd.endpoints[1]: expected host:port or http(s)://host:port, got "
        "\"ftp://x:1\""}},
      {"EtcdEndpointsNotAList",
       "etcd:\n  endpoints: 127.0.0.1:2379\n",
       {"config.yaml:2:14: etcd.endpoints: expected a list, got \"127.0.0.1:2379\""}},
      {"BadDuration",
       "etcd:\n  endpoints: [\"a:1\"]\n  dialTimeout: 5\n",
       {"config.yaml:3:16: etcd.dialTimeout: expected a duration like 500ms, 10s or 1m, got "
        "\"5\""}},
      {"ZeroDuration",
       "etcd:\n  endpoints: [\"a:1\"]\n  dialTimeout: 0s\n",
       {"config.yaml:3:16: etcd.dialTimeout: expected a duration greater than 0, got \"0s\""}},
      {"PasswordFileNeedsUsername",
       "etcd:\n  endpoints: [\"a:1\"]\n  passwordFile: /dev/null\n",
       {"config.yaml:2:3: etcd.username: missing required field; passwordFile needs a username"}},
      {"UnreadablePasswordFile",
       "etcd:\n  endpoints: [\"a:1\"]\n  username: u\n  passwordFile: secret\n",
       {"config.yaml:4:17: etcd.passwordFile: cannot read \"/nonexistent/secret\": No such file "
        "or directory"}},
      {"UnreadableTlsFile",
       "etcd:\n  endpoints: [\"a:1\"]\n  tls: {caFile: /nope/ca.pem}\n",
       {"config.yaml:3:17: etcd.tls.caFile: cannot read \"/nope/ca.pem\": No such file or "
        "directory"}},
      {"LeaseTtlBelowEtcdMinimum",
       Head() + "  leaseTTL: 1s\n",
       {"config.yaml:5:13: registration.leaseTTL: expected at least 2s (etcd silently raises "
        "shorter lease TTLs), got 1s"}},
      {"LeaseTtlNotWholeSeconds",
       Head() + "  leaseTTL: 2500ms\n",
       {"config.yaml:5:13: registration.leaseTTL: expected whole seconds (etcd lease TTLs are in "
        "seconds), got 2500ms"}},
      {"PrefixWithoutTrailingSlash",
       "etcd: {endpoints: [\"a:1\"]}\nregistration: {prefix: /svc}\n",
       {"config.yaml:2:24: registration.prefix: expected a key prefix that starts and ends with "
        "\"/\", got \"/svc\""}},
      {"UnknownFormat",
       Head() + "  format: xml\n",
       {"config.yaml:5:11: registration.format: expected plain, json, grpc-naming, skydns, "
        "go-zero, kratos, go-micro, kitex, dubbo, traefik or template, got \"xml\""}},
      {"LayoutListedTwice",
       Head() + "services:\n  - name: orders\n    format: [kratos, skydns, kratos]\n"
                "    probe: {tcpSocket: {}}\n    endpoints: [\"127.0.0.1:8080\"]\n",
       {"config.yaml:7:30: services[0].format[2]: layout kratos listed twice"}},
      {"TwoLayoutsWriteOneKey",
       Head() + "services:\n  - name: orders\n    format: [plain, dubbo]\n"
                "    probe: {tcpSocket: {}}\n    endpoints: [\"127.0.0.1:8080\"]\n",
       {"config.yaml:6:5: services[0]: key \"/services/orders/127.0.0.1:8080\" of service "
        "\"orders\" (layout dubbo) is also written by service \"orders\" (layout plain); move "
        "one layout's prefix (registration.layoutPrefixes)"}},
      {"LayoutPrefixAgainstItsConsumersRule",
       Head() + "  layoutPrefixes: {go-zero: /rpc/, kratos: ms/}\n" + kServices,
       {"config.yaml:5:29: registration.layoutPrefixes.go-zero: go-zero keys must not start with "
        "\"/\" (go-zero core/discov (publisher.go makeEtcdKey, internal/registry.go) reads them "
        "without), got \"/rpc/\"",
        "config.yaml:5:44: registration.layoutPrefixes.kratos: kratos keys start with \"/\" "
        "(Kratos contrib/registry/etcd (registry.go, watcher.go)), got \"ms/\""}},
      {"TemplateValueThatCannotBeJson",
       Head() + "services:\n  - name: orders\n    format: template\n"
                "    layout:\n      key: \"${prefix}${service}/${address}\"\n"
                "      value: '{\"addr\": \"${address}\"'\n      json: true\n"
                "    probe: {tcpSocket: {}}\n    endpoints: [\"127.0.0.1:8080\"]\n",
       {"config.yaml:10:14: services[0].layout.value: not a JSON document (a JSON value template "
        "is JSON with \"${field}\" strings)"}},
      {"TemplateKeyWithAnUnknownFieldOrNoTargetField",
       Head() + "services:\n  - name: orders\n    format: template\n"
                "    layout: {key: \"${prefix}${service}/${adress}\", value: \"${address}\"}\n"
                "    probe: {tcpSocket: {}}\n    endpoints: [\"127.0.0.1:8080\"]\n"
                "  - name: billing\n    format: template\n"
                "    layout: {key: \"${prefix}${service}\", value: \"${address}\"}\n"
                "    probe: {tcpSocket: {}}\n    endpoints: [\"127.0.0.1:8080\"]\n",
       {"config.yaml:8:19: services[0].layout.key: unknown field ${adress}",
        "config.yaml:13:19: services[1].layout.key: a key template names a field that tells "
        "targets apart (${address}, ${id}, ${idNum}, ${host} and ${port}, …), else every target "
        "writes one key"}},
      {"OwnsPrefixNotABool",
       Head() + "  ownsPrefix: yes\n",
       {"config.yaml:5:15: registration.ownsPrefix: expected true or false, got \"yes\""}},
      {"BadListen",
       Head() + "server: {listen: \"localhost\"}\n",
       {"config.yaml:5:18: server.listen: expected [host]:port (host may be empty), got "
        "\"localhost\""}},
      {"BadLogLevel",
       Head() + "log: {level: verbose, format: xml}\n",
       {"config.yaml:5:14: log.level: expected trace, debug, info, warn or error, got \"verbose\"",
        "config.yaml:5:31: log.format: expected text or json, got \"xml\""}},
      {"ServicesNotAList",
       Head() + "services: {name: x}\n",
       {"config.yaml:5:11: services: expected a list, got a mapping"}},
      {"ServiceNameMissing",
       Head() + "services:\n  - probe: {tcpSocket: {}}\n    endpoints: [\"a:1\"]\n",
       {"config.yaml:6:5: services[0].name: missing required field"}},
      {"ServiceNameInvalid",
       Head() + "services:\n  - name: orders/v1\n    probe: {tcpSocket: {}}\n    endpoints: []\n",
       {"config.yaml:6:11: services[0].name: expected a name of letters, digits, '.', '_' and '-' "
        "that starts and ends with a letter or digit, got \"orders/v1\""}},
      {"SkyDnsNameMustBeADnsLabel",
       Head() + "services:\n  - name: Orders_1\n    format: skydns\n    probe: {tcpSocket: {}}\n"
                "    endpoints: []\n",
       {"config.yaml:6:11: services[0].name: expected a DNS label (lowercase letters, digits and "
        "'-', at most 63) for format skydns, got \"Orders_1\""}},
      {"DuplicateServiceName",
       Head() + kServices + "  - name: orders\n    probe: {tcpSocket: {}}\n    endpoints: []\n",
       {"config.yaml:9:11: services[1].name: duplicate service name \"orders\" (first at line 6)"}},
      {"ServiceWithoutEndpoints",
       Head() + "services:\n  - name: a\n    probe: {tcpSocket: {}}\n",
       {"config.yaml:6:5: services[0].endpoints: missing required field; expected endpoints, "
        "endpointsFile, dnsSd, fileSd or httpSd"}},
      {"DnsSdSrvWithPort",
       Service("{tcpSocket: {}}", "    dnsSd: {names: [_http._tcp.a.example], port: 80}\n"),
       {"config.yaml:8:50: services[0].dnsSd.port: SRV records carry their port: leave port out"}},
      {"DnsSdAWithoutPort",
       Service("{tcpSocket: {}}", "    dnsSd: {names: [a.example], type: A}\n"),
       {"config.yaml:8:12: services[0].dnsSd.port: missing required field; type A needs a port"}},
      {"DnsSdBadName",
       Service("{tcpSocket: {}}", "    dnsSd: {names: [\"bad name\"]}\n"),
       {"config.yaml:8:21: services[0].dnsSd.names[0]: expected a DNS name, got \"bad name\""}},
      {"DnsSdBadType",
       Service("{tcpSocket: {}}", "    dnsSd: {names: [a.example], type: MX, port: 1}\n"),
       {"config.yaml:8:39: services[0].dnsSd.type: expected SRV, A or AAAA, got \"MX\""}},
      {"DnsSdRefreshBelowOneSecond",
       Service("{tcpSocket: {}}",
               "    dnsSd: {names: [a.example], type: A, port: 1, "
               "refreshInterval: 10ms}\n"),
       {"config.yaml:8:68: services[0].dnsSd.refreshInterval: expected at least 1s, got 10ms"}},
      {"FileSdNotJsonOrYaml",
       Service("{tcpSocket: {}}", "    fileSd: {files: [/etc/inventory.txt]}\n"),
       {"config.yaml:8:22: services[0].fileSd.files[0]: expected a *.json, *.yml or *.yaml "
        "file, got \"/etc/inventory.txt\""}},
      {"FileSdGlobInDirectory",
       Service("{tcpSocket: {}}", "    fileSd: {files: [\"/etc/*/a.json\"]}\n"),
       {"config.yaml:8:22: services[0].fileSd.files[0]: globs are allowed in the file name only, "
        "got \"/etc/*/a.json\""}},
      {"HttpSdNotHttp",
       Service("{tcpSocket: {}}", "    httpSd: {url: \"ftp://cmdb.example/sd\"}\n"),
       {"config.yaml:8:19: services[0].httpSd.url: expected an http:// or https:// URL, got "
        "\"ftp://cmdb.example/sd\""}},
      {"HttpSdTwoKindsOfAuth",
       Service("{tcpSocket: {}}",
               "    httpSd:\n      url: http://127.0.0.1:1/sd\n"
               "      basicAuth: {username: a, passwordFile: /dev/null}\n"
               "      authorization: {credentialsFile: /dev/null}\n"),
       {"config.yaml:11:22: services[0].httpSd.authorization: basicAuth and authorization "
        "exclude each other"}},
      {"SourceShrinkPercentOutOfRange",
       Service("{tcpSocket: {}}", "    fileSd: {files: [a.json], maxShrinkPercent: 0}\n"),
       {"config.yaml:8:49: services[0].fileSd.maxShrinkPercent: expected an integer percentage "
        "1-100, got \"0\""}},
      {"BadEndpoint",
       Service("{tcpSocket: {}}", "    endpoints: [\"127.0.0.1:8080\", \"::1:80\"]\n"),
       {"config.yaml:8:35: services[0].endpoints[1]: expected host:port (IPv6 as [address]:port), "
        "got \"::1:80\""}},
      {"EndpointPortOutOfRange",
       Service("{tcpSocket: {}}", "    endpoints: [\"a:65536\"]\n"),
       {"config.yaml:8:17: services[0].endpoints[0]: expected host:port (IPv6 as [address]:port), "
        "got \"a:65536\""}},
      {"DuplicateEndpoint",
       Service("{tcpSocket: {}}", "    endpoints:\n      - \"[::1]:80\"\n      - \"[::1]:80\"\n"),
       {"config.yaml:10:9: services[0].endpoints[1]: duplicate endpoint \"[::1]:80\" (also at line "
        "9)"}},
      {"MetadataValueNotAString",
       Service("{tcpSocket: {}}", "    endpoints: []\n    metadata: {version: [1]}\n"),
       {"config.yaml:9:25: services[0].metadata.version: expected a string, got a list"}},
      {"BadDnsTtl",
       Service("{tcpSocket: {}}", "    endpoints: []\n    dnsTTL: 0\n"),
       {"config.yaml:9:13: services[0].dnsTTL: expected an integer number of seconds >= 1, got "
        "\"0\""}},
      {"ProbeMissing",
       Head() + "services:\n  - name: a\n    endpoints: []\n",
       {"config.yaml:6:5: services[0].probe: missing required field; expected a probe with "
        "httpGet, "
        "tcpSocket, exec, grpc or tlsSocket (or one under defaults)"}},
      {"ProbeWithoutAction",
       Service("{periodSeconds: 5}"),
       {"config.yaml:7:12: services[0].probe: expected exactly one of httpGet, tcpSocket, exec, "
        "grpc "
        "or "
        "tlsSocket (or one under defaults), got none"}},
      {"ProbeWithBothActions",
       Service("{httpGet: {}, tcpSocket: {}}"),
       {"config.yaml:7:12: services[0].probe: expected exactly one of httpGet, tcpSocket, exec, "
        "grpc "
        "or "
        "tlsSocket, got httpGet and tcpSocket"}},
      {"ProbeWithGrpcAndTlsSocket",
       Service("{grpc: {}, tlsSocket: {}}"),
       {"config.yaml:7:12: services[0].probe: expected exactly one of httpGet, tcpSocket, exec, "
        "grpc "
        "or "
        "tlsSocket, got grpc and tlsSocket"}},
      {"GrpcPortOutOfRange",
       Service("{grpc: {port: 70000}}"),
       {"config.yaml:7:26: services[0].probe.grpc.port: expected an integer 1-65535, got "
        "\"70000\""}},
      {"GrpcUnknownKey",
       Service("{grpc: {servce: x}}"),
       {"config.yaml:7:20: services[0].probe.grpc.servce: unknown key; did you mean "
        "\"service\"?"}},
      {"TlsSocketBadHost",
       Service("{tlsSocket: {host: \"a b\"}}"),
       {"config.yaml:7:31: services[0].probe.tlsSocket.host: expected a host name or IP address, "
        "got \"a b\""}},
      {"MinCertValidityNotADuration",
       Service("{tlsSocket: {}, minCertValidity: week}"),
       {"config.yaml:7:45: services[0].probe.minCertValidity: expected a duration like 500ms, 10s "
        "or 1m, got \"week\""}},
      {"HttpGetPortNotAnInteger",
       Service("{httpGet: {port: 80.5}}"),
       {"config.yaml:7:29: services[0].probe.httpGet.port: expected an integer 1-65535, got "
        "\"80.5\""}},
      {"HttpGetNamedPortFromAKubernetesManifest",
       Service("{httpGet: {port: http}}"),
       {"config.yaml:7:29: services[0].probe.httpGet.port: expected an integer 1-65535, got the "
        "named port \"http\" (Kubernetes looks names up in the container's ports; write the "
        "number, or leave port out to probe the endpoint's own port)"}},
      {"HttpGetUnknownKeySuggests",
       Service("{httpGet: {paht: /}}"),
       {"config.yaml:7:23: services[0].probe.httpGet.paht: unknown key; did you mean \"path\"?"}},
      {"HttpGetBadScheme",
       Service("{httpGet: {scheme: http}}"),
       {"config.yaml:7:31: services[0].probe.httpGet.scheme: expected HTTP or HTTPS, got "
        "\"http\""}},
      {"HttpGetBadPath",
       Service("{httpGet: {path: healthz}}"),
       {"config.yaml:7:29: services[0].probe.httpGet.path: expected a path starting with \"/\", "
        "got "
        "\"healthz\""}},
      {"HttpGetBadMethod",
       Service("{httpGet: {method: DELETE}}"),
       {"config.yaml:7:31: services[0].probe.httpGet.method: expected GET, HEAD, POST or OPTIONS, "
        "got \"DELETE\""}},
      {"HttpHeaderWithoutName",
       Service("{httpGet: {httpHeaders: [{value: x}]}}"),
       {"config.yaml:7:37: services[0].probe.httpGet.httpHeaders[0].name: missing required field"}},
      {"HttpHeaderBadName",
       Service("{httpGet: {httpHeaders: [{name: \"a b\", value: x}]}}"),
       {"config.yaml:7:44: services[0].probe.httpGet.httpHeaders[0].name: expected an HTTP header "
        "name, got \"a b\""}},
      {"BadExpectedStatus",
       Service("{httpGet: {expectedStatuses: [200, \"300-200\", 700]}}"),
       {"config.yaml:7:47: services[0].probe.httpGet.expectedStatuses[1]: expected a status code "
        "100-599 or a range like \"200-299\", got \"300-200\"",
        "config.yaml:7:58: services[0].probe.httpGet.expectedStatuses[2]: expected a status code "
        "100-599 or a range like \"200-299\", got \"700\""}},
      {"BadBodyRegex",
       Service("{httpGet: {bodyRegex: \"(\"}}"),
       {"config.yaml:7:34: services[0].probe.httpGet.bodyRegex: expected a regular expression "
        "(ECMAScript), got \"(\": Mismatched '(' and ')' in regular expression"}},
      {"MaxBodyBytesZero",
       Service("{httpGet: {maxBodyBytes: 0}}"),
       {"config.yaml:7:37: services[0].probe.httpGet.maxBodyBytes: expected an integer "
        "1-1073741824, got \"0\""}},
      {"FollowRedirectsNotABool",
       Service("{httpGet: {followRedirects: 1}}"),
       {"config.yaml:7:40: services[0].probe.httpGet.followRedirects: expected true or false, got "
        "\"1\""}},
      {"TlsCertWithoutKey",
       Service("{httpGet: {tls: {certFile: /dev/null}}}"),
       {"config.yaml:7:28: services[0].probe.httpGet.tls.keyFile: missing required field; certFile "
        "and keyFile go together"}},
      {"TcpSocketBadHost",
       Service("{tcpSocket: {host: \"a b\"}}"),
       {"config.yaml:7:31: services[0].probe.tcpSocket.host: expected a host name or IP address, "
        "got \"a b\""}},
      {"ZeroPeriod",
       Service("{tcpSocket: {}, periodSeconds: 0}"),
       {"config.yaml:7:43: services[0].probe.periodSeconds: expected a number of seconds greater "
        "than 0, got \"0\""}},
      {"NegativePeriod",
       Service("{tcpSocket: {}, periodSeconds: -1}"),
       {"config.yaml:7:43: services[0].probe.periodSeconds: expected a number of seconds greater "
        "than 0, got \"-1\""}},
      {"NegativeInitialDelay",
       Service("{tcpSocket: {}, initialDelaySeconds: -0.5}"),
       {"config.yaml:7:49: services[0].probe.initialDelaySeconds: expected a number of seconds >= "
        "0, got \"-0.5\""}},
      {"PeriodNotANumber",
       Service("{tcpSocket: {}, periodSeconds: 10s}"),
       {"config.yaml:7:43: services[0].probe.periodSeconds: expected a number of seconds greater "
        "than 0, got \"10s\""}},
      {"FailureThresholdBelowOne",
       Service("{tcpSocket: {}, failureThreshold: 0}"),
       {"config.yaml:7:46: services[0].probe.failureThreshold: expected an integer >= 1, got "
        "\"0\""}},
      {"SuccessThresholdBelowOne",
       Service("{tcpSocket: {}, successThreshold: -2}"),
       {"config.yaml:7:46: services[0].probe.successThreshold: expected an integer >= 1, got "
        "\"-2\""}},
      {"DefaultsRejectUnknownKeys",
       Head() + "defaults: {period: 5}\n" + kServices,
       {"config.yaml:5:12: defaults.period: unknown key; expected one of: httpGet, tcpSocket, "
        "exec, grpc, tlsSocket, minCertValidity, initialDelaySeconds, periodSeconds, "
        "timeoutSeconds, "
        "successThreshold, failureThreshold, terminationGracePeriodSeconds, reuseConnections"}},
      {"StringExpectedGotMapping",
       Head() + "server: {listen: {port: 1}}\n",
       {"config.yaml:5:18: server.listen: expected a string, got a mapping"}},
      {"EtcdClientCertWithoutKey",
       "etcd:\n  endpoints: [\"a:1\"]\n  tls: {certFile: /dev/null}\n",
       {"config.yaml:3:8: etcd.tls.keyFile: missing required field; certFile and keyFile go "
        "together"}},
      {"BadResyncPeriod",
       Head() + "  resyncPeriod: soon\n",
       {"config.yaml:5:17: registration.resyncPeriod: expected a duration like 500ms, 10s or 1m, "
        "got \"soon\""}},
      {"DuplicateNestedKey",
       Service("{tcpSocket: {}, periodSeconds: 1, periodSeconds: 2}"),
       {"config.yaml:7:46: services[0].probe.periodSeconds: duplicate key"}},
      {"ServiceNotAMapping",
       Head() + "services:\n  - orders\n",
       {"config.yaml:6:5: services[0]: expected a mapping, got \"orders\""}},
      {"MetadataNotAMapping",
       Service("{tcpSocket: {}}", "    endpoints: []\n    metadata: v1\n"),
       {"config.yaml:9:15: services[0].metadata: expected a mapping of strings, got \"v1\""}},
      {"BadDnsDomain",
       Service("{tcpSocket: {}}", "    endpoints: []\n    dnsDomain: Example..com\n"),
       {"config.yaml:9:16: services[0].dnsDomain: expected a DNS domain like svc.example.com, got "
        "\"Example..com\""}},
      {"EmptyExpectedStatuses",
       Service("{httpGet: {expectedStatuses: []}}"),
       {"config.yaml:7:41: services[0].probe.httpGet.expectedStatuses: expected at least one "
        "status code or range"}},
      {"MaxRedirectsOutOfRange",
       Service("{httpGet: {maxRedirects: 101}}"),
       {"config.yaml:7:37: services[0].probe.httpGet.maxRedirects: expected an integer 0-100, got "
        "\"101\""}},
      {"InsecureSkipVerifyNotABool",
       Service("{httpGet: {tls: {insecureSkipVerify: maybe}}}"),
       {"config.yaml:7:49: services[0].probe.httpGet.tls.insecureSkipVerify: expected true or "
        "false, got \"maybe\""}},
      {"DefaultsWithBothActions",
       Head() + "defaults: {httpGet: {}, tcpSocket: {}}\n" + kServices,
       {"config.yaml:5:11: defaults: expected at most one of httpGet, tcpSocket, exec, grpc or "
        "tlsSocket, got httpGet and tcpSocket"}},
      {"DnsServerIsAName",
       Head() + "probes: {dnsServers: [\"dns.local:53\"]}\n" + kServices,
       {"config.yaml:5:23: probes.dnsServers[0]: expected an IP address and port "
        "(\"10.0.0.2:53\", \"[::1]:53\"), got \"dns.local:53\""}},
      {"WrongTypeForProbe",
       Service("tcp"),
       {"config.yaml:7:12: services[0].probe: expected a mapping, got \"tcp\""}},
      {"AllErrorsAtOnce",
       Head() + "  leaseTTL: 1s\nservices:\n  - name: a\n    probe: {httpGet: {port: 0}}\n"
                "    endpoints: [\"x\"]\n  - probe: {tcpSocket: {}, failureThreshold: 0}\n"
                "    endpoints: []\n",
       {"config.yaml:5:13: registration.leaseTTL: expected at least 2s (etcd silently raises "
        "shorter lease TTLs), got 1s",
        "config.yaml:8:29: services[0].probe.httpGet.port: expected an integer 1-65535, got \"0\"",
        "config.yaml:9:17: services[0].endpoints[0]: expected host:port (IPv6 as [address]:port), "
        "got \"x\"",
        "config.yaml:10:5: services[1].name: missing required field",
        "config.yaml:10:46: services[1].probe.failureThreshold: expected an integer >= 1, got "
        "\"0\""}},
  };
  return cases;
}

}  // namespace registrar::config::cases
