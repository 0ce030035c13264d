// Loading configuration files. The only code in sasim that includes yaml-cpp.
// Every key is declared once (name, type, default or required, description); unknown keys,
// missing required keys and bad values are InputErrors that say "file:line: key 'k': why".
#ifndef SASIM_HOST_CONFIG_CONFIG_LOADER_H_
#define SASIM_HOST_CONFIG_CONFIG_LOADER_H_

#include <string>
#include <vector>

#include "compiler/net_ir.h"
#include "contract/hw_config.h"
#include "host/energy/energy.h"

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

// The net file keys: top level, `input`, and each layer type's keys.
const std::vector<KeySpec>& NetKeys();
const std::vector<KeySpec>& NetInputKeys();
const std::vector<KeySpec>& LayerKeys(const std::string& type);  // empty for an unknown type

const std::vector<KeySpec>& EnergyTableKeys();
EnergyTable LoadEnergyTable(const std::string& path);

// Loads a net description (configs/*.yaml); a relative `weights` directory is resolved against
// the net file's directory.
compiler::NetSpec LoadNet(const std::string& path);

}  // namespace sasim

#endif  // SASIM_HOST_CONFIG_CONFIG_LOADER_H_
