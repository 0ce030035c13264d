// Reads the declarations of rtl/sa_pkg.sv that tests compare with contract/isa.h and use to
// pack and unpack struct ports: enums (names, values, width), localparams with a literal value,
// and packed structs (fields with their bit positions). A small parser for the subset of
// SystemVerilog the package is written in; it throws on anything it cannot read, so a change of
// style in the package fails loudly rather than silently.
#ifndef SASIM_TESTS_RTL_SV_PACKAGE_H_
#define SASIM_TESTS_RTL_SV_PACKAGE_H_

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <tuple>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace sasim::testing {

struct SvEnum {
  int width = 0;
  std::vector<std::pair<std::string, uint64_t>> entries;  // in declaration order
};

struct SvField {
  std::string name;
  int lsb = 0;
  int width = 0;
};

struct SvStruct {
  int width = 0;
  std::vector<SvField> fields;  // most significant first, as declared
  const SvField& field(const std::string& name) const {
    for (const auto& f : fields) {
      if (f.name == name) return f;
    }
    throw std::out_of_range("struct has no field " + name);
  }
};

class SvPackage {
 public:
  explicit SvPackage(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    Parse(StripComments(ss.str()));
  }

  const SvEnum& Enum(const std::string& type) const { return Find(enums_, type, "enum"); }
  std::vector<std::string> EnumNames() const {
    std::vector<std::string> names;
    for (const auto& [name, e] : enums_) names.push_back(name);
    return names;
  }
  const SvStruct& Struct(const std::string& type) const { return Find(structs_, type, "struct"); }
  uint64_t Param(const std::string& name) const { return Find(params_, name, "localparam"); }
  bool HasParam(const std::string& name) const { return params_.count(name) != 0; }

 private:
  template <class Map>
  static const typename Map::mapped_type& Find(const Map& map, const std::string& key,
                                               const char* what) {
    const auto it = map.find(key);
    if (it == map.end()) throw std::out_of_range(std::string("sa_pkg has no ") + what + " " + key);
    return it->second;
  }

  static std::string StripComments(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size();) {
      if (text.compare(i, 2, "//") == 0) {
        i = text.find('\n', i);
        if (i == std::string::npos) break;
      } else if (text.compare(i, 2, "/*") == 0) {
        i = text.find("*/", i);
        if (i == std::string::npos) break;
        i += 2;
      } else {
        out += text[i++];
      }
    }
    return out;
  }

  // A sized or plain literal: 12'h040, 5'd3, 1'b1, 42.
  static std::optional<uint64_t> Literal(const std::string& s) {
    static const std::regex kSized(R"(^\s*\d*'([hdb])([0-9a-fA-F_]+)\s*$)");
    static const std::regex kPlain(R"(^\s*(\d+)\s*$)");
    std::smatch m;
    if (std::regex_match(s, m, kSized)) {
      std::string digits = m[2];
      digits.erase(std::remove(digits.begin(), digits.end(), '_'), digits.end());
      const int base = m[1] == "h" ? 16 : (m[1] == "b" ? 2 : 10);
      return std::stoull(digits, nullptr, base);
    }
    if (std::regex_match(s, m, kPlain)) return std::stoull(m[1]);
    return std::nullopt;
  }

  // Width of a field type: logic, logic [a:b], logic signed [a:b], or a type declared earlier.
  int TypeWidth(const std::string& type) const {
    static const std::regex kLogic(R"(^logic(\s+signed)?\s*(\[\s*(\d+)\s*:\s*(\d+)\s*\])?$)");
    std::smatch m;
    if (std::regex_match(type, m, kLogic)) {
      if (!m[2].matched) return 1;
      return std::stoi(m[3]) - std::stoi(m[4]) + 1;
    }
    if (enums_.count(type)) return enums_.at(type).width;
    if (structs_.count(type)) return structs_.at(type).width;
    throw std::runtime_error("sa_pkg: cannot size type '" + type + "'");
  }

  void Parse(const std::string& text) {
    static const std::regex kEnum(
        R"(typedef\s+enum\s+(logic\s*(\[\s*(\d+)\s*:\s*(\d+)\s*\])?)\s*\{([^}]*)\}\s*(\w+)\s*;)");
    static const std::regex kStruct(R"(typedef\s+struct\s+packed\s*\{([^}]*)\}\s*(\w+)\s*;)");
    static const std::regex kParam(R"(localparam\s+[^=;]*?(\w+)\s*=\s*([^;]+);)");
    static const std::regex kEntry(R"(^\s*(\w+)\s*=\s*(.+?)\s*$)");
    static const std::regex kField(R"(^\s*(.+?)\s+(\w+)\s*$)");
    // Declarations in order: a struct may use an enum declared before it.
    enum Kind { kEnumDecl, kStructDecl, kParamDecl };
    std::vector<std::tuple<size_t, Kind, std::smatch>> decls;
    const std::pair<const std::regex*, Kind> kinds[] = {
        {&kEnum, kEnumDecl}, {&kStruct, kStructDecl}, {&kParam, kParamDecl}};
    for (const auto& [re, kind] : kinds) {
      for (auto it = std::sregex_iterator(text.begin(), text.end(), *re);
           it != std::sregex_iterator(); ++it) {
        decls.emplace_back(static_cast<size_t>(it->position(0)), kind, *it);
      }
    }
    std::sort(decls.begin(), decls.end(),
              [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
    for (const auto& [pos, kind, m] : decls) {
      if (kind == kEnumDecl) {
        SvEnum e;
        e.width = m[2].matched ? std::stoi(m[3]) - std::stoi(m[4]) + 1 : 1;
        std::stringstream body(m[5].str());
        std::string item;
        while (std::getline(body, item, ',')) {
          std::smatch em;
          if (!std::regex_match(item, em, kEntry)) {
            throw std::runtime_error("sa_pkg: cannot read enum entry '" + item + "'");
          }
          const auto v = Literal(em[2]);
          if (!v) throw std::runtime_error("sa_pkg: enum value '" + em[2].str() + "'");
          e.entries.emplace_back(em[1], *v);
        }
        enums_[m[6]] = e;
      } else if (kind == kStructDecl) {
        SvStruct s;
        std::stringstream body(m[1].str());
        std::string item;
        std::vector<std::pair<std::string, int>> fields;
        while (std::getline(body, item, ';')) {
          if (item.find_first_not_of(" \t\r\n") == std::string::npos) continue;
          std::smatch fm;
          if (!std::regex_match(item, fm, kField)) {
            throw std::runtime_error("sa_pkg: cannot read struct field '" + item + "'");
          }
          std::string type = fm[1];
          type = std::regex_replace(type, std::regex(R"(^\s+|\s+$)"), "");
          type = std::regex_replace(type, std::regex(R"(^sa_pkg::)"), "");
          fields.emplace_back(fm[2], TypeWidth(type));
        }
        int lsb = 0;
        for (auto it = fields.rbegin(); it != fields.rend(); ++it) lsb += it->second;
        s.width = lsb;
        for (const auto& [name, width] : fields) {
          lsb -= width;
          s.fields.push_back({name, lsb, width});
        }
        structs_[m[2]] = s;
      } else {
        if (const auto v = Literal(m[2])) params_[m[1]] = *v;
      }
    }
  }

  std::map<std::string, SvEnum> enums_;
  std::map<std::string, SvStruct> structs_;
  std::map<std::string, uint64_t> params_;
};

// rtl/sa_pkg.sv, parsed once per test program.
inline const SvPackage& SaPkg() {
  static const SvPackage* const pkg = new SvPackage(SASIM_SOURCE_DIR "/rtl/sa_pkg.sv");
  return *pkg;
}

// The value of enumerator `name` of sa_pkg's enum `type`.
inline uint64_t SaPkgEnumValue(const std::string& type, const std::string& name) {
  for (const auto& [n, v] : SaPkg().Enum(type).entries) {
    if (n == name) return v;
  }
  throw std::out_of_range(type + " has no " + name);
}

}  // namespace sasim::testing

#endif  // SASIM_TESTS_RTL_SV_PACKAGE_H_
