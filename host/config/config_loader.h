// Loading configuration files. The only code in sasim that includes yaml-cpp.
// Every key is declared once (name, type, default or required, description); unknown keys,
// missing required keys and bad values are InputErrors that say "file:line: key 'k': why".
#ifndef SASIM_HOST_CONFIG_CONFIG_LOADER_H_
#define SASIM_HOST_CONFIG_CONFIG_LOADER_H_

#include <string>
#include <vector>

#include "host/common/hw_config.h"

namespace sasim {

struct KeySpec {
  const char* name;
  const char* type;           // "int", "number", "string"
  const char* default_value;  // nullptr: required
  const char* description;
};

// The hardware config keys, for docs and error messages.
const std::vector<KeySpec>& HwConfigKeys();

HwConfig LoadHwConfig(const std::string& path);

}  // namespace sasim

#endif  // SASIM_HOST_CONFIG_CONFIG_LOADER_H_
