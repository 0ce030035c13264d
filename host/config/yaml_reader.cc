#include "host/config/yaml_reader.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>

#include <fmt/core.h>
#include <yaml-cpp/depthguard.h>

#include "contract/errors.h"
#include "host/io/files.h"

namespace sasim::config {
namespace {

// Length of the UTF-8 sequence at text[i] and its code point; 0 if it is not valid UTF-8
// (truncated, overlong, a surrogate or beyond U+10FFFF).
size_t Utf8At(std::string_view text, size_t i, uint32_t* code_point) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) {
    *code_point = b0;
    return 1;
  }
  size_t n = 0;
  uint32_t cp = 0, min = 0;
  if ((b0 & 0xe0) == 0xc0) {
    n = 2, cp = b0 & 0x1f, min = 0x80;
  } else if ((b0 & 0xf0) == 0xe0) {
    n = 3, cp = b0 & 0x0f, min = 0x800;
  } else if ((b0 & 0xf8) == 0xf0) {
    n = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  *code_point = cp;
  return n;
}

bool IsControl(uint32_t cp) { return cp < 0x20 || (cp >= 0x7f && cp < 0xa0); }

}  // namespace

YAML::Node LoadYamlFile(const std::string& path, std::string_view what) {
  struct stat st {};
  if (!path.empty() && ::stat(path.c_str(), &st) != 0 && errno == ENOENT) {
    throw InputError(fmt::format("{}: cannot open file", path));
  }
  const std::string text = ReadFileBounded(path, what, kMaxConfigBytes);
  try {
    return YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp (0.7 and later) bounds its parser's recursion and says so with this exception.
    Fail(path, e.mark.is_null() ? 0 : e.mark.line + 1, "",
         "lists and mappings are nested too deeply");
  } catch (const YAML::Exception& e) {
    Fail(path, e.mark.is_null() ? 0 : e.mark.line + 1, "", "not valid YAML: " + Shown(e.msg, 200));
  }
}

int LineOf(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  try {
    const YAML::Mark mark = node.Mark();
    return mark.is_null() ? 0 : mark.line + 1;
  } catch (const YAML::Exception&) {
    return 0;
  }
}

void Fail(const std::string& path, int line, std::string_view key, std::string_view why) {
  if (key.empty()) throw InputError(fmt::format("{}:{}: {}", path, line, why));
  throw InputError(fmt::format("{}:{}: key '{}': {}", path, line, key, why));
}

std::string Shown(std::string_view text, size_t max_bytes) {
  std::string shown;
  size_t i = 0;
  while (i < text.size() && i < max_bytes) {
    uint32_t cp = 0;
    const size_t n = Utf8At(text, i, &cp);
    if (n == 0 || IsControl(cp)) {
      shown += fmt::format("\\x{:02x}", static_cast<uint8_t>(text[i]));
      ++i;
    } else {
      shown.append(text.substr(i, n));
      i += n;
    }
  }
  if (i < text.size()) shown += "...";
  return shown;
}

bool IsDisplayText(std::string_view text, size_t* characters) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++count) {
    uint32_t cp = 0;
    const size_t n = Utf8At(text, i, &cp);
    if (n == 0 || IsControl(cp)) return false;
    i += n;
  }
  if (characters != nullptr) *characters = count;
  return true;
}

bool ParseInt(std::string_view text, int64_t* value) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'o')) {
    base = text[1] == 'x' ? 16 : 8;
    text.remove_prefix(2);
  }
  // from_chars takes no sign of its own: read the magnitude, then apply the sign.
  if (text.empty() || text[0] == '-' || text[0] == '+') return false;
  uint64_t magnitude = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude, base);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(INT64_MAX);
  if (negative) {
    if (magnitude > kMaxPositive + 1) return false;
    *value = magnitude == kMaxPositive + 1 ? INT64_MIN : -static_cast<int64_t>(magnitude);
  } else {
    if (magnitude > kMaxPositive) return false;
    *value = static_cast<int64_t>(magnitude);
  }
  return true;
}

bool ParseNumber(std::string_view text, double* value) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  // Digits, a point and an exponent only: no "inf", "nan" or hex floats.
  if (text.empty() || text.find_first_not_of("0123456789.eE+-") != std::string_view::npos) {
    return false;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

KeyReader::KeyReader(std::string path, const YAML::Node& map, std::vector<KeyDefault> keys)
    : path_(std::move(path)), line_(LineOf(map)), keys_(std::move(keys)) {
  if (!map.IsMap()) Fail(path_, line_, "", "expected a mapping of keys to values");
  for (const auto& item : map) {
    const YAML::Node& key = item.first;
    if (!key.IsScalar()) {
      Fail(path_, LineOf(key), "", "a key must be a plain name, not a list, a mapping or empty");
    }
    const std::string name = key.Scalar();
    if (Spec(name) == nullptr) {
      std::string names;
      for (const auto& spec : keys_) names += (names.empty() ? "" : ", ") + spec.name;
      Fail(path_, LineOf(key), Shown(name), "unknown key (known keys: " + names + ")");
    }
    if (Has(name)) {
      Fail(path_, LineOf(key), name,
           fmt::format("given twice (first on line {})", LineOf(Node(name))));
    }
    values_.emplace_back(name, item.second);
  }
}

const KeyDefault* KeyReader::Spec(const std::string& key) const {
  for (const auto& spec : keys_) {
    if (spec.name == key) return &spec;
  }
  return nullptr;
}

bool KeyReader::Has(const std::string& key) const {
  for (const auto& [name, node] : values_) {
    if (name == key) return true;
  }
  return false;
}

const YAML::Node& KeyReader::Node(const std::string& key) const {
  for (const auto& [name, node] : values_) {
    if (name == key) return node;
  }
  Fail(path_, line_, key, "missing (required)");
}

int KeyReader::Line(const std::string& key) const {
  if (!Has(key)) return line_;
  const int line = LineOf(Node(key));
  return line == 0 ? line_ : line;
}

void KeyReader::Bad(const std::string& key, std::string_view why) const {
  Fail(path_, Line(key), key, why);
}

std::string KeyReader::Scalar(const std::string& key) const {
  if (Has(key)) {
    const YAML::Node& node = Node(key);
    if (node.IsNull()) Bad(key, "no value given");
    if (!node.IsScalar()) Bad(key, "expected a single value");
    return node.Scalar();
  }
  const KeyDefault* spec = Spec(key);
  if (spec == nullptr || spec->default_value == nullptr) Bad(key, "missing (required)");
  return spec->default_value;
}

int64_t KeyReader::Int(const std::string& key, int64_t lo, int64_t hi) const {
  const std::string text = Scalar(key);
  int64_t v = 0;
  if (!ParseInt(text, &v)) Bad(key, fmt::format("expected an integer, got '{}'", Shown(text)));
  if (v < lo || v > hi) Bad(key, fmt::format("{} is outside {}..{}", v, lo, hi));
  return v;
}

double KeyReader::Number(const std::string& key, double lo, double hi) const {
  const std::string text = Scalar(key);
  double v = 0;
  if (!ParseNumber(text, &v)) Bad(key, fmt::format("expected a number, got '{}'", Shown(text)));
  if (!(v >= lo && v <= hi)) Bad(key, fmt::format("{} is outside {}..{}", v, lo, hi));
  return v;
}

std::string KeyReader::Text(const std::string& key, size_t min_len, size_t max_len) const {
  const std::string text = Scalar(key);
  size_t characters = 0;
  if (!IsDisplayText(text, &characters)) {
    Bad(key, fmt::format("'{}' is not valid UTF-8 text (control characters or invalid bytes)",
                         Shown(text)));
  }
  if (characters < min_len || characters > max_len) {
    Bad(key, fmt::format("'{}' has {} characters, expected {}..{}", Shown(text), characters,
                         min_len, max_len));
  }
  return text;
}

std::string KeyReader::Name(const std::string& key) const {
  const std::string name = Scalar(key);
  CheckPathName(name, fmt::format("{}:{}: key '{}'", path_, Line(key), key));
  return name;
}

}  // namespace sasim::config
