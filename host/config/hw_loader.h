// Loading a hardware config (configs/hw/*.yaml) by the key table of contract/hw_config.h.
// Kept apart from the net and energy loaders so that the configure-time tool that gives CMake
// the RTL parameters (tools/hw_flags) builds from a few files.
#ifndef SASIM_HOST_CONFIG_HW_LOADER_H_
#define SASIM_HOST_CONFIG_HW_LOADER_H_

#include <string>

#include "contract/hw_config.h"

namespace sasim {

// Throws InputError "file:line: key 'k': why" on anything but a valid config.
HwConfig LoadHwConfig(const std::string& path);

}  // namespace sasim

#endif  // SASIM_HOST_CONFIG_HW_LOADER_H_
