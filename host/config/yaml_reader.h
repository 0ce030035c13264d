// Internal to host/config: reading a YAML config file and its keys safely. Every value is
// checked for its shape (a scalar where a scalar is expected) before it is converted, integers
// and numbers are parsed here (bounded, whole text), and no yaml-cpp exception leaves: every
// problem is an InputError "file:line: key 'k': why".
#ifndef SASIM_HOST_CONFIG_YAML_READER_H_
#define SASIM_HOST_CONFIG_YAML_READER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace sasim::config {

// The largest config file read: configs are a few KiB.
inline constexpr uint64_t kMaxConfigBytes = 4u << 20;
// The deepest nesting of lists and mappings accepted (configs need 4).
inline constexpr int kMaxNesting = 64;

// Reads `path` (a regular file of at most kMaxConfigBytes; `what` names it in messages:
// "hw config") and parses it as YAML.
YAML::Node LoadYamlFile(const std::string& path, std::string_view what);

// 1-based line of a node, 0 when it has none.
int LineOf(const YAML::Node& node);

// Throws InputError "path:line: key 'key': why" ("path:line: why" without a key).
[[noreturn]] void Fail(const std::string& path, int line, std::string_view key,
                       std::string_view why);

// Text from a file, fit for a message: control characters and invalid UTF-8 escaped (\xNN),
// cut after `max_bytes` bytes.
std::string Shown(std::string_view text, size_t max_bytes = 64);

// Valid UTF-8 without control characters; `characters` gets the number of code points.
bool IsDisplayText(std::string_view text, size_t* characters = nullptr);

// The whole text as an integer (decimal, 0x hex or 0o octal, optional sign) or a number
// (decimal, optional exponent); false on anything else, including overflow.
bool ParseInt(std::string_view text, int64_t* value);
bool ParseNumber(std::string_view text, double* value);

// A key of a mapping and its default as written in a file (nullptr: required).
struct KeyDefault {
  std::string name;
  const char* default_value;
};

// Reads a mapping against its key table: refuses keys that are not plain scalars, unknown keys
// and keys given twice; values are read by name with their shape and range checked.
class KeyReader {
 public:
  KeyReader(std::string path, const YAML::Node& map, std::vector<KeyDefault> keys);

  bool Has(const std::string& key) const;
  // The value's line if given, else the mapping's.
  int Line(const std::string& key) const;
  // The value node; only for keys that Has().
  const YAML::Node& Node(const std::string& key) const;

  // A scalar value (or the default) as text; a list, a mapping or no value is refused.
  std::string Scalar(const std::string& key) const;
  int64_t Int(const std::string& key, int64_t lo, int64_t hi) const;
  double Number(const std::string& key, double lo, double hi) const;
  // Display text of min_len..max_len characters: valid UTF-8, no control characters.
  std::string Text(const std::string& key, size_t min_len, size_t max_len) const;
  // A name that becomes part of a path (CheckPathName of host/io/files.h).
  std::string Name(const std::string& key) const;

  [[noreturn]] void Bad(const std::string& key, std::string_view why) const;

 private:
  const KeyDefault* Spec(const std::string& key) const;

  std::string path_;
  int line_;
  std::vector<KeyDefault> keys_;
  std::vector<std::pair<std::string, YAML::Node>> values_;
};

}  // namespace sasim::config

#endif  // SASIM_HOST_CONFIG_YAML_READER_H_
