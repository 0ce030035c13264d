// Loading configuration files: the only code in sasim that includes yaml-cpp. Every key is
// declared once (hardware keys in contract/hw_config.h, net and energy keys here: name, type,
// default or required, description); unknown keys, missing required keys and bad values are
// InputErrors that say "file:line: key 'k': why". Files are read bounded (regular files only,
// at most 4 MiB), and no input makes a loader crash or throw anything but InputError.
#ifndef SASIM_HOST_CONFIG_CONFIG_LOADER_H_
#define SASIM_HOST_CONFIG_CONFIG_LOADER_H_

#include <string>
#include <vector>

#include "compiler/net_ir.h"
#include "contract/hw_config.h"
#include "host/config/hw_loader.h"
#include "host/energy/energy.h"

namespace sasim {

struct KeySpec {
  const char* name;
  const char* type;           // "int", "number", "string", "list", "mapping"
  const char* default_value;  // nullptr: required; "": optional without a default
  const char* description;
};

// The net file keys: top level, `input`, and each layer type's keys.
const std::vector<KeySpec>& NetKeys();
const std::vector<KeySpec>& NetInputKeys();
const std::vector<KeySpec>& LayerKeys(const std::string& type);  // empty for an unknown type

const std::vector<KeySpec>& EnergyTableKeys();
EnergyTable LoadEnergyTable(const std::string& path);

// Loads a net description (configs/*.yaml); a relative `weights` directory is resolved against
// the net file's directory. The net's and the layers' names become file names, so they are
// path names (host/io/files.h CheckPathName).
compiler::NetSpec LoadNet(const std::string& path);

}  // namespace sasim

#endif  // SASIM_HOST_CONFIG_CONFIG_LOADER_H_
