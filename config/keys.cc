// The key table. To add a key: one entry here (block, name, type, doc, …),
// then read it in the block's parser; the docs and the schema follow.
#include "config/keys.h"

#include <cstdlib>

#include "common/value_format.h"

namespace registrar::config {
namespace {

using K = KeyType;
constexpr Reload kRestart = Reload::kNeedsRestart;

// Durations: Go-style, as ParseDuration reads them; zero is refused.
constexpr std::string_view kDurationPattern =
    "^(([0-9]+(\\.[0-9]+)?|\\.[0-9]+)(ns|us|µs|ms|s|m|h))+$";

const Key kKeys[] = {
    // Top level.
    {.block = "",
     .name = "etcd",
     .type = K::kSection,
     .doc = "How to reach etcd.",
     .child = "etcd"},
    {.block = "",
     .name = "registration",
     .type = K::kSection,
     .doc = "Where and how keys are written.",
     .child = "registration"},
    {.block = "",
     .name = "cluster",
     .type = K::kSection,
     .doc = "Several replicas on one prefix form a cluster and share the targets "
            "(deploy/README.md, \"Several replicas\"). Every field has a default.",
     .child = "cluster"},
    {.block = "",
     .name = "server",
     .type = K::kSection,
     .doc = "The admin HTTP server (`/metrics`, `/healthz`, `/readyz`, `/api/v1/targets`, `/`).",
     .child = "server"},
    {.block = "", .name = "log", .type = K::kSection, .doc = "Logging (stderr).", .child = "log"},
    {.block = "",
     .name = "metrics",
     .type = K::kSection,
     .doc = "What `/metrics` exports (docs/metrics.md).",
     .child = "metrics"},
    {.block = "",
     .name = "probes",
     .type = K::kSection,
     .doc = "Prober-wide settings.",
     .child = "probes"},
    {.block = "",
     .name = "defaults",
     .type = K::kSection,
     .doc = "Probe fields every service's `probe` starts from (any probe field; an action "
            "here lets services leave `probe` out).",
     .child = "probe"},
    {.block = "",
     .name = "services",
     .type = K::kSectionList,
     .doc = "The services to probe and register. Names are unique.",
     .child = "service"},

    // etcd: the connection is made once at start.
    {.block = "etcd",
     .name = "endpoints",
     .type = K::kStringList,
     .doc = "etcd client URLs: `host:port` or `http(s)://host:port`. Required unless "
            "`--etcd-endpoints` / `REGISTRAR_ETCD_ENDPOINTS` is set.",
     .example = "[\"etcd-0.etcd:2379\", \"etcd-1.etcd:2379\"]",
     .reload = kRestart,
     .pattern = "^(https?://)?([^\\s/"
                ":\\[\\]]+|\\[[0-9A-Fa-f:.]+\\]):(0*[1-9][0-9]{0,3}|0*[1-5][0-9]{4}|0*6[0-4][0-9]{"
                "3}|0*65[0-4][0-9]{2}|0*655[0-2][0-9]|0*6553[0-5])/?$"},
    {.block = "etcd",
     .name = "dialTimeout",
     .type = K::kDuration,
     .doc = "How long one connection attempt to etcd may take. With several endpoints, one that "
            "refuses the connection is passed over at once; when every endpoint has failed (a "
            "partition), a call waits up to this long for any of them to connect again.",
     .default_value = "5s",
     .example = "3s",
     .reload = kRestart},
    {.block = "etcd",
     .name = "username",
     .type = K::kString,
     .doc = "etcd user (with `passwordFile`). Empty: no authentication.",
     .example = "registrar",
     .reload = kRestart},
    {.block = "etcd",
     .name = "passwordFile",
     .type = K::kPath,
     .doc = "File holding the etcd password (a trailing newline is dropped); needs `username`.",
     .example = "/etc/etcd-registrar/password",
     .reload = kRestart},
    {.block = "etcd",
     .name = "maxRequestBytes",
     .type = K::kInt,
     .doc = "etcd's `--max-request-bytes` (bytes). A service whose key and value cannot fit one "
            "request (e.g. a huge `metadata`) is a config error instead of a write etcd refuses.",
     .default_value = "1572864",
     .example = "10485760",
     .min = 1024,
     .max = 2'147'483'647},
    {.block = "etcd",
     .name = "tls",
     .type = K::kSection,
     .doc = "TLS to etcd (files must be readable at load).",
     .reload = kRestart,
     .child = "etcd.tls"},
    {.block = "etcd.tls",
     .name = "caFile",
     .type = K::kPath,
     .doc = "CA bundle that signs etcd's certificate.",
     .example = "ca.crt",
     .reload = kRestart},
    {.block = "etcd.tls",
     .name = "certFile",
     .type = K::kPath,
     .doc = "Client certificate (with `keyFile`).",
     .example = "client.crt",
     .reload = kRestart},
    {.block = "etcd.tls",
     .name = "keyFile",
     .type = K::kPath,
     .doc = "Client key (with `certFile`).",
     .example = "client.key",
     .reload = kRestart},
    {.block = "etcd.tls",
     .name = "serverName",
     .type = K::kString,
     .doc = "Name to verify etcd's certificate against (default: the endpoint's host).",
     .example = "etcd.internal",
     .reload = kRestart},

    // registration.
    {.block = "registration",
     .name = "prefix",
     .type = K::kString,
     .doc = "Key prefix of formats plain, json and grpc-naming: a key is "
            "`<prefix><service>/<host:port>`. Starts and ends with `/`.",
     .default_value = "/services/",
     .example = "/registry/",
     .reload = kRestart,
     .pattern = "^/(.*/)?$"},
    {.block = "registration",
     .name = "skydnsPrefix",
     .type = K::kString,
     .doc = "Key prefix of format skydns (CoreDNS's etcd plugin `path`): a key is "
            "`<skydnsPrefix><reversed dnsDomain>/<service>/<id>`. Starts and ends with `/`.",
     .default_value = "/skydns/",
     .example = "/dns/",
     .reload = kRestart,
     .pattern = "^/(.*/)?$"},
    {.block = "registration",
     .name = "leaseTTL",
     .type = K::kDuration,
     .doc = "TTL of the one lease every key is bound to, whole seconds, at least 2s (etcd "
            "raises shorter TTLs silently). A crashed registrar's keys go within this time.",
     .default_value = "10s",
     .example = "15s",
     .reload = kRestart,
     // < 2s or not whole seconds (the forms the schema can tell apart).
     .not_pattern =
         "^(0*1?(\\.[0-9]*)?s|([0-9]*[1-9]|[0-9]*[1-9][0-9]|[0-9]*[1-9][0-9][0-9]|0*1000|0*)"
         "ms|[0-9.]+(us|µs|ns)|[0-9]*\\.[0-9]*[1-9][0-9]*s)$"},
    {.block = "registration",
     .name = "format",
     .type = K::kEnumList,
     .doc = "Default layout (or list of layouts) of every service (a service's `format` "
            "overrides it).",
     .default_value = "plain",
     .example = "json",
     .choices = kValueFormatChoices},
    {.block = "registration",
     .name = "layoutPrefixes",
     .type = K::kStringMap,
     .doc = "Layout name → key prefix, for a consumer configured with another namespace than "
            "its default (go-zero `\"\"` (keys `<service>/<id>`), kratos `/microservices/`, "
            "go-micro `/micro/registry/`, kitex `kitex/registry-etcd/`, dubbo `/services/`, "
            "traefik `traefik/`, template: `prefix`). Ends with `/`; starts with `/` for kratos, "
            "go-micro and dubbo, and must not for go-zero, kitex and traefik. plain, json and "
            "grpc-naming use `prefix`, skydns `skydnsPrefix`.",
     .example = "{kratos: /ms/, go-zero: rpc/}",
     .reload = kRestart},
    {.block = "registration",
     .name = "resyncPeriod",
     .type = K::kDuration,
     .doc = "How often etcd is re-read to repair keys changed by someone else.",
     .default_value = "30s",
     .example = "1m",
     .reload = kRestart},
    {.block = "registration",
     .name = "ownsPrefix",
     .type = K::kBool,
     .doc = "true: keys under `prefix` bound to another lease are ours and get deleted; false: "
            "they belong to someone else and are never touched.",
     .default_value = "false",
     .example = "true",
     .reload = kRestart},

    // cluster: membership is set up once at start.
    {.block = "cluster",
     .name = "name",
     .type = K::kString,
     .doc = "Cluster name (default: `registration.prefix` without slashes, e.g. `services`), "
            "so replicas started with the same config coordinate.",
     .example = "discovery",
     .reload = kRestart},
    {.block = "cluster",
     .name = "coordinationPrefix",
     .type = K::kString,
     .doc = "Where member keys live (default `/etcd-registrar/<name>/`); must not overlap "
            "`registration.prefix`.",
     .example = "/etcd-registrar/discovery/",
     .reload = kRestart,
     .pattern = "^/(.*/)?$"},
    {.block = "cluster",
     .name = "sessionTTL",
     .type = K::kDuration,
     .doc = "TTL of the member session lease: a dead or paused replica's targets move to the "
            "others after this long. Shorter than `registration.leaseTTL` (else half of it).",
     .default_value = "5s",
     .example = "3s",
     .reload = kRestart},
    {.block = "cluster",
     .name = "handoverTimeout",
     .type = K::kDuration,
     .doc = "On SIGTERM with other members alive: how long to wait for them to adopt our "
            "keys before exiting without revoking.",
     .default_value = "10s",
     .example = "20s",
     .reload = kRestart},

    // server.
    {.block = "server",
     .name = "listen",
     .type = K::kString,
     .doc = "Admin HTTP address `[host]:port`; an empty host is every interface.",
     .default_value = ":9464",
     .example = "127.0.0.1:9464",
     .reload = kRestart},
    {.block = "server",
     .name = "webConfigFile",
     .type = K::kString,
     .doc = "TLS and basic auth of the admin port, in the Prometheus exporter-toolkit web "
            "config format (`--web.config.file`); relative names inside it are relative to it. "
            "Its contents are re-read on every reload; an invalid one rejects the reload.",
     .default_value = "",
     .example = "/etc/etcd-registrar/web.yml",
     .reload = Reload::kApplied},

    // log.
    {.block = "log",
     .name = "level",
     .type = K::kEnum,
     .doc = "Lowest level logged.",
     .default_value = "info",
     .example = "debug",
     .reload = kRestart,
     .choices = "trace|debug|info|warn|error"},
    {.block = "log",
     .name = "format",
     .type = K::kEnum,
     .doc = "Log line format.",
     .default_value = "text",
     .example = "json",
     .reload = kRestart,
     .choices = "text|json"},

    // metrics.
    {.block = "metrics",
     .name = "perTargetSeries",
     .type = K::kEnum,
     .doc = "One series per target (`registrar_target_*`): auto while there are at most 5000 "
            "targets, always, or never. Per-service series stay in all three.",
     .default_value = "auto",
     .example = "never",
     .choices = "auto|always|never"},
    // probes: prober-wide settings.
    {.block = "probes",
     .name = "allowExec",
     .type = K::kBool,
     .doc = "Allow `exec` probes. Off by default: they run commands as the registrar's user, "
            "with its credentials readable, so whoever writes the config may run commands "
            "on the host.",
     .default_value = "false",
     .example = "true"},
    {.block = "probes",
     .name = "dnsMinTTL",
     .type = K::kDuration,
     .doc = "The least time a resolved host name is cached on the probe loop, whatever its "
            "records' TTL (names from /etc/hosts and failed lookups: exactly this long), so a "
            "0-TTL name is not looked up on every probe. A name that stops resolving turns its "
            "targets unhealthy (`dns:` reason) after at most this long.",
     .default_value = "5s",
     .example = "30s",
     .reload = kRestart},
    {.block = "probes",
     .name = "dnsServers",
     .type = K::kStringList,
     .doc = "DNS servers (`ip:port`, `[v6]:port`) the probe loop asks for targets' host names, "
            "in order. Empty: those of /etc/resolv.conf.",
     .example = "[\"10.96.0.10:53\"]",
     .reload = kRestart,
     .unique_items = true,
     .pattern = "^([0-9.]+|\\[[0-9A-Fa-f:.]+\\]):[0-9]+$"},

    // probe: under `defaults` and a service's `probe` (kubelet's names).
    {.block = "probe",
     .name = "httpGet",
     .type = K::kSection,
     .doc = "Probe with an HTTP request (one of httpGet, tcpSocket, exec, grpc or tlsSocket).",
     .child = "probe.httpGet"},
    {.block = "probe",
     .name = "tcpSocket",
     .type = K::kSection,
     .doc =
         "Probe by opening a TCP connection (one of httpGet, tcpSocket, exec, grpc or tlsSocket).",
     .child = "probe.tcpSocket"},
    {.block = "probe",
     .name = "exec",
     .type = K::kSection,
     .doc = "Probe by running a command without a shell (exit 0 passes; needs "
            "`probes.allowExec`). The target is in `TARGET_HOST`, `TARGET_PORT`, "
            "`TARGET_SERVICE`, `TARGET_ADDRESS`; `timeoutSeconds` kills its process group.",
     .child = "probe.exec"},
    {.block = "probe",
     .name = "grpc",
     .type = K::kSection,
     .doc = "Probe with grpc.health.v1.Health/Check: SERVING is healthy (one of httpGet, "
            "tcpSocket, exec, grpc or tlsSocket).",
     .child = "probe.grpc"},
    {.block = "probe",
     .name = "tlsSocket",
     .type = K::kSection,
     .doc = "Probe with a TLS handshake and certificate verification, no request (one of "
            "httpGet, tcpSocket, exec, grpc or tlsSocket).",
     .child = "probe.tlsSocket"},
    {.block = "probe",
     .name = "minCertValidity",
     .type = K::kDuration,
     .doc = "TLS probes (HTTPS, tlsSocket, grpc with tls) fail when the backend's certificate "
            "expires within this long (default: only an expired one fails).",
     .example = "168h"},
    {.block = "probe",
     .name = "initialDelaySeconds",
     .type = K::kSeconds,
     .doc = "Wait before a new target's first probe.",
     .default_value = "0",
     .example = "5",
     .min = 0},
    {.block = "probe",
     .name = "periodSeconds",
     .type = K::kSeconds,
     .doc = "Time between probe starts. As in Kubernetes, it may be shorter than "
            "`timeoutSeconds`: a probe never overlaps itself, the next starts when it ends "
            "(the status page and `registrar_target_probe_interval_seconds` show the interval).",
     .default_value = "10",
     .example = "5",
     .min = 1},
    {.block = "probe",
     .name = "timeoutSeconds",
     .type = K::kSeconds,
     .doc = "A probe that takes longer fails; any value Kubernetes accepts, also at or above "
            "`periodSeconds`.",
     .default_value = "1",
     .example = "2",
     .min = 1},
    {.block = "probe",
     .name = "successThreshold",
     .type = K::kInt,
     .doc = "Consecutive passes before a target gets its key.",
     .default_value = "1",
     .example = "2",
     .min = 1,
     .max = 1'000'000},
    {.block = "probe",
     .name = "failureThreshold",
     .type = K::kInt,
     .doc = "Consecutive failures before a target's key is deleted.",
     .default_value = "3",
     .example = "5",
     .min = 1,
     .max = 1'000'000},
    {.block = "probe",
     .name = "terminationGracePeriodSeconds",
     .type = K::kInt,
     .doc = "Accepted so a probe block copied from a Kubernetes manifest works unchanged; "
            "nothing is killed here, so it has no effect.",
     .example = "30",
     .min = 1,
     .max = 1'000'000'000},
    {.block = "probe",
     .name = "reuseConnections",
     .type = K::kBool,
     .doc = "Keep the connection open between probes (false: a fresh connection per probe).",
     .default_value = "true",
     .example = "false"},

    {.block = "probe.httpGet",
     .name = "scheme",
     .type = K::kEnum,
     .doc = "HTTP or HTTPS.",
     .default_value = "HTTP",
     .example = "HTTPS",
     .choices = "HTTP|HTTPS"},
    {.block = "probe.httpGet",
     .name = "host",
     .type = K::kString,
     .doc = "Host to connect to instead of the endpoint's (also the Host header).",
     .example = "127.0.0.1",
     // Host names, IPv4 and IPv6 literals are made of these (the parser checks more).
     .pattern = "^[A-Za-z0-9_.:-]+$"},
    {.block = "probe.httpGet",
     .name = "port",
     .type = K::kInt,
     .doc = "Port to probe instead of the endpoint's.",
     .example = "8081",
     .min = 1,
     .max = 65535},
    {.block = "probe.httpGet",
     .name = "path",
     .type = K::kString,
     .doc = "Request path (with query), starting with `/`.",
     .default_value = "/",
     .example = "/healthz",
     .pattern = "^/[^\\s]*$"},
    {.block = "probe.httpGet",
     .name = "httpHeaders",
     .type = K::kSectionList,
     .doc = "Extra request headers.",
     .child = "probe.httpGet.httpHeaders"},
    {.block = "probe.httpGet",
     .name = "method",
     .type = K::kEnum,
     .doc = "Request method (POST sends no body).",
     .default_value = "GET",
     .example = "HEAD",
     .choices = "GET|HEAD|POST|OPTIONS"},
    {.block = "probe.httpGet",
     .name = "expectedStatuses",
     .type = K::kStatusList,
     .doc = "Status codes that pass: codes or ranges (kubelet: 200-399).",
     .default_value = "[\"200-399\"]",
     .example = "[200, \"204-206\"]"},
    {.block = "probe.httpGet",
     .name = "bodyRegex",
     .type = K::kString,
     .doc = "The body (up to `maxBodyBytes`) must match this ECMAScript regular expression.",
     .example = "\"ok\""},
    {.block = "probe.httpGet",
     .name = "bodyNotRegex",
     .type = K::kString,
     .doc = "The body must not match this ECMAScript regular expression.",
     .example = "\"degraded\""},
    {.block = "probe.httpGet",
     .name = "maxBodyBytes",
     .type = K::kInt,
     .doc = "Bytes of the body read at most.",
     .default_value = "65536",
     .example = "4096",
     .min = 1,
     .max = 1 << 30},
    {.block = "probe.httpGet",
     .name = "followRedirects",
     .type = K::kBool,
     .doc = "Follow redirects (false: a 3xx is judged as it is).",
     .default_value = "false",
     .example = "true"},
    {.block = "probe.httpGet",
     .name = "maxRedirects",
     .type = K::kInt,
     .doc = "Redirects followed at most.",
     .default_value = "5",
     .example = "2",
     .min = 0,
     .max = 100},
    {.block = "probe.httpGet",
     .name = "tls",
     .type = K::kSection,
     .doc = "TLS options of scheme HTTPS (ignored with a warning for HTTP).",
     .child = "probe.tls"},
    {.block = "probe.httpGet.httpHeaders",
     .name = "name",
     .type = K::kString,
     .doc = "Header name (an HTTP token).",
     .example = "Host",
     .required = true,
     .pattern = "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"},
    {.block = "probe.httpGet.httpHeaders",
     .name = "value",
     .type = K::kString,
     .doc = "Header value, on one line.",
     .example = "orders.internal",
     .pattern = "^[^\\r\\n]*$"},
    {.block = "probe.tls",
     .name = "caFile",
     .type = K::kPath,
     .doc = "CA bundle to verify the backend with (default: the system's).",
     .example = "ca.crt"},
    {.block = "probe.tls",
     .name = "certFile",
     .type = K::kPath,
     .doc = "Client certificate (with `keyFile`).",
     .example = "client.crt"},
    {.block = "probe.tls",
     .name = "keyFile",
     .type = K::kPath,
     .doc = "Client key (with `certFile`).",
     .example = "client.key"},
    {.block = "probe.tls",
     .name = "serverName",
     .type = K::kString,
     .doc = "SNI and the name verified (default: the host).",
     .example = "orders.internal"},
    {.block = "probe.tls",
     .name = "insecureSkipVerify",
     .type = K::kBool,
     .doc = "Do not verify the backend's certificate.",
     .default_value = "false",
     .example = "true"},
    {.block = "probe.tcpSocket",
     .name = "host",
     .type = K::kString,
     .doc = "Host to connect to instead of the endpoint's.",
     .example = "127.0.0.1",
     // Host names, IPv4 and IPv6 literals are made of these (the parser checks more).
     .pattern = "^[A-Za-z0-9_.:-]+$"},
    {.block = "probe.tcpSocket",
     .name = "port",
     .type = K::kInt,
     .doc = "Port to connect to instead of the endpoint's.",
     .example = "5432",
     .min = 1,
     .max = 65535},
    {.block = "probe.exec",
     .name = "command",
     .type = K::kStringList,
     .doc = "The command and its arguments (`command[0]` looked up in `PATH`; no shell).",
     .example = "[\"pg_isready\", \"-q\", \"-h\", \"127.0.0.1\"]",
     .required = true},

    {.block = "probe.grpc",
     .name = "port",
     .type = K::kInt,
     .doc = "Port of the gRPC server instead of the endpoint's.",
     .example = "9090",
     .min = 1,
     .max = 65535},
    {.block = "probe.grpc",
     .name = "service",
     .type = K::kString,
     .doc = "Service name asked about (default: the server as a whole).",
     .example = "orders.v1.Orders"},
    {.block = "probe.grpc",
     .name = "authority",
     .type = K::kString,
     .doc = "The :authority sent (default: host:port).",
     .example = "orders.internal"},
    {.block = "probe.grpc",
     .name = "tls",
     .type = K::kSection,
     .doc = "Talk TLS with these options (`tls: {}` for the defaults); absent: plaintext.",
     .child = "probe.tls"},
    {.block = "probe.tlsSocket",
     .name = "host",
     .type = K::kString,
     .doc = "Host to connect to instead of the endpoint's.",
     .example = "127.0.0.1",
     .pattern = "^[A-Za-z0-9_.:-]+$"},
    {.block = "probe.tlsSocket",
     .name = "port",
     .type = K::kInt,
     .doc = "Port to connect to instead of the endpoint's.",
     .example = "443",
     .min = 1,
     .max = 65535},
    {.block = "probe.tlsSocket",
     .name = "tls",
     .type = K::kSection,
     .doc = "TLS options of the handshake.",
     .child = "probe.tls"},

    // A service (an item of `services`).
    {.block = "service",
     .name = "name",
     .type = K::kString,
     .doc = "Service name, in keys and metric labels: letters, digits, `.`, `_`, `-`, starting "
            "and ending with a letter or digit (a DNS label for format skydns).",
     .example = "orders",
     .required = true,
     .pattern = "^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$"},
    {.block = "service",
     .name = "format",
     .type = K::kEnumList,
     .doc = "Layout of this service's keys, or a list of layouts all written together (one "
            "probe, one Txn, one lease; default: `registration.format`). plain: `host:port`; "
            "json: `{\"service\",\"address\",\"metadata\",\"registeredAt\"}`; "
            "grpc-naming: etcd's gRPC resolver; skydns: CoreDNS records under "
            "`registration.skydnsPrefix`; go-zero, kratos, go-micro, kitex, dubbo, traefik: "
            "what that framework's etcd registry reads; template: `layout.key` and "
            "`layout.value`. See docs/consumers.md.",
     .example = "[grpc-naming, skydns, kratos]",
     .choices = kValueFormatChoices},
    {.block = "service",
     .name = "layout",
     .type = K::kSection,
     .doc = "Options of the layouts that have any.",
     .child = "service.layout"},
    {.block = "service",
     .name = "metadata",
     .type = K::kStringMap,
     .doc = "String pairs written into the values of the layouts that carry metadata (json, "
            "grpc-naming, kratos, go-micro, kitex, dubbo, template; ignored with a warning "
            "otherwise).",
     .example = "{zone: a}"},
    {.block = "service",
     .name = "dnsDomain",
     .type = K::kString,
     .doc = "skydns only: the domain the service's records are under.",
     .default_value = "cluster.local",
     .example = "svc.example.com",
     .pattern = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"},
    {.block = "service",
     .name = "dnsTTL",
     .type = K::kInt,
     .doc = "skydns only: the TTL (seconds) CoreDNS serves.",
     .default_value = "30",
     .example = "10",
     .min = 1,
     .max = 2'147'483'647},
    {.block = "service",
     .name = "probe",
     .type = K::kSection,
     .doc = "How to probe every endpoint, over `defaults` (required unless `defaults` has "
            "an action: httpGet, tcpSocket, exec, grpc or tlsSocket).",
     .child = "probe"},
    {.block = "service",
     .name = "endpoints",
     .type = K::kStringList,
     .doc = "`host:port` of each backend (IPv6 as `[address]:port`); no endpoint twice. An "
            "item may also be `{address, weight, metadata}`: the layouts carry the weight and the "
            "metadata where their consumer has a field for them (merged over the service's, the "
            "endpoint's wins; docs/consumers.md).",
     .example = "[\"10.0.0.5:8080\"]",
     .unique_items = true,
     .pattern = "^([^\\s/"
                ":\\[\\]]+|\\[[0-9A-Fa-f:.]+\\]):(0*[1-9][0-9]{0,3}|0*[1-5][0-9]{4}|0*6[0-4][0-9]{"
                "3}|0*65[0-4][0-9]{2}|0*655[0-2][0-9]|0*6553[0-5])$"},
    {.block = "service",
     .name = "endpointsFile",
     .type = K::kPath,
     .doc = "File with one `host:port` per line (`#` comments), re-read on reload; with or "
            "instead of `endpoints`.",
     .example = "orders.endpoints"},
    {.block = "service",
     .name = "failOpen",
     .type = K::kSection,
     .doc = "Off unless set: when fewer than `belowHealthyPercent` of the service's targets "
            "pass their latest probe, keep its registrations (a partition, not an outage) "
            "until the share recovers.",
     .child = "service.failOpen"},
    {.block = "service.layout",
     .name = "version",
     .type = K::kString,
     .doc = "kratos, go-micro: the service version in the value.",
     .example = "v1.2.0"},
    {.block = "service.layout",
     .name = "scheme",
     .type = K::kString,
     .doc = "kratos: the endpoint scheme (default `grpc`); traefik: the server URL scheme "
            "(default `http`).",
     .example = "http",
     .pattern = "^[a-z][a-z0-9+.-]*$"},
    {.block = "service.layout",
     .name = "protocol",
     .type = K::kEnum,
     .doc = "traefik: an HTTP service (`…/servers/<id>/url`) or a TCP one "
            "(`…/servers/<id>/address`).",
     .default_value = "http",
     .example = "tcp",
     .choices = "http|tcp"},
    {.block = "service.layout",
     .name = "priority",
     .type = K::kInt,
     .doc = "skydns: the SRV priority of every endpoint (left out when 0).",
     .default_value = "0",
     .example = "10",
     .min = 0,
     .max = 65535},
    {.block = "service.layout",
     .name = "key",
     .type = K::kString,
     .doc = "template: the key, `${prefix}` then fields that tell targets apart, e.g. "
            "`${prefix}${service}/${address}`. Fields: docs/consumers.md.",
     .example = "\"${prefix}${service}/${id}\""},
    {.block = "service.layout",
     .name = "value",
     .type = K::kString,
     .doc = "template: the value; with `json: true` a JSON document whose `\"${field}\"` "
            "strings become the fields' values.",
     .example = "\"${address}\""},
    {.block = "service.layout",
     .name = "json",
     .type = K::kBool,
     .doc = "template: `value` is a JSON document (checked by check-config).",
     .default_value = "false",
     .example = "true"},

    {.block = "service.failOpen",
     .name = "belowHealthyPercent",
     .type = K::kInt,
     .doc = "The share of passing targets (percent) below which the service fails open.",
     .example = "50",
     .min = 1,
     .max = 100,
     .required = true},
};

}  // namespace

std::span<const Key> AllKeys() { return kKeys; }

std::vector<const Key*> KeysOf(std::string_view block) {
  std::vector<const Key*> out;
  for (const Key& k : kKeys) {
    if (k.block == block) out.push_back(&k);
  }
  return out;
}

std::vector<std::string_view> KeyNames(std::string_view block) {
  std::vector<std::string_view> out;
  for (const Key* k : KeysOf(block)) out.push_back(k->name);
  return out;
}

const Key& KeyAt(std::string_view block, std::string_view name) {
  for (const Key& k : kKeys) {
    if (k.block == block && k.name == name) return k;
  }
  std::abort();  // a parser asked for a key the table lacks: add it to kKeys
}

std::vector<std::string_view> Choices(const Key& key) {
  std::vector<std::string_view> out;
  std::string_view rest = key.choices;
  while (!rest.empty()) {
    size_t bar = rest.find('|');
    out.push_back(rest.substr(0, bar));
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 1);
  }
  return out;
}

std::string ChoicesText(const Key& key) {
  std::vector<std::string_view> choices = Choices(key);
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) out += i + 1 == choices.size() ? " or " : ", ";
    out += choices[i];
  }
  return out;
}

std::vector<std::string> PathsOf(std::string_view block) {
  if (block.empty()) return {""};
  std::vector<std::string> out;
  for (const Key& k : kKeys) {
    if (k.child != block) continue;
    for (const std::string& parent : PathsOf(k.block)) {
      std::string path = parent.empty() ? std::string(k.name) : parent + "." + std::string(k.name);
      if (k.type == KeyType::kSectionList) path += "[]";
      out.push_back(std::move(path));
    }
  }
  return out;
}

std::string_view DurationPattern() { return kDurationPattern; }

}  // namespace registrar::config
