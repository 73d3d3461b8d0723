#include "common/duration.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace registrar {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<double> ParseDecimal(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) digits.remove_prefix(1);
  size_t dot = digits.find('.');
  std::string_view whole = digits.substr(0, dot);
  std::string_view frac = dot == digits.npos ? std::string_view() : digits.substr(dot + 1);
  if (whole.empty() && frac.empty()) return std::nullopt;
  if (dot != digits.npos && frac.empty()) return std::nullopt;
  auto all_digits = [](std::string_view s) { return std::all_of(s.begin(), s.end(), IsDigit); };
  if (!all_digits(whole) || !all_digits(frac)) return std::nullopt;
  double value = 0;
  if (text.front() == '+') text.remove_prefix(1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

namespace {

struct Unit {
  std::string_view name;
  int64_t ns;
};
// Longest names first so "ms" is not read as "m".
constexpr Unit kUnits[] = {{"ns", 1},
                           {"us", 1'000},
                           {"µs", 1'000},
                           {"ms", 1'000'000},
                           {"s", 1'000'000'000},
                           {"m", 60'000'000'000},
                           {"h", 3'600'000'000'000}};

}  // namespace

std::optional<Duration> ParseDuration(const std::string& text) {
  std::string_view rest = text;
  if (rest.empty()) return std::nullopt;
  long double total_ns = 0;
  while (!rest.empty()) {
    size_t n = 0;
    while (n < rest.size() && (IsDigit(rest[n]) || rest[n] == '.')) ++n;
    if (n == 0) return std::nullopt;
    std::optional<double> number = ParseDecimal(rest.substr(0, n));
    if (!number) return std::nullopt;
    rest.remove_prefix(n);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (rest.substr(0, u.name.size()) == u.name &&
          (unit == nullptr || u.name.size() > unit->name.size())) {
        unit = &u;
      }
    }
    if (unit == nullptr) return std::nullopt;  // a number needs a unit
    rest.remove_prefix(unit->name.size());
    total_ns += static_cast<long double>(*number) * unit->ns;
  }
  if (total_ns > 9.2e18L) return std::nullopt;
  return Duration(static_cast<int64_t>(std::llround(static_cast<double>(total_ns))));
}

std::string FormatDuration(Duration d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string out;
  if (ns < 0) {
    out = "-";
    ns = -ns;
  }
  constexpr int64_t kSecond = 1'000'000'000;
  if (ns % kSecond != 0) {
    if (ns % 1'000'000 == 0) return out + std::to_string(ns / 1'000'000) + "ms";
    if (ns % 1'000 == 0) return out + std::to_string(ns / 1'000) + "us";
    return out + std::to_string(ns) + "ns";
  }
  int64_t s = ns / kSecond;
  int64_t h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (sec) out += std::to_string(sec) + "s";
  return out;
}

}  // namespace registrar
