// Verilated sa_top models built on demand for hw configs the build did not ship a model for.
//
// The model-defining keys of a hw config (array rows and the three buffer sizes) name a cache
// entry, `<cache>/<key>/libsa_top.so`: the Verilated model and its AccelCore, compiled into a
// shared library that takes the Verilator runtime from the executable that loads it. The first
// use Verilates and compiles it (a progress line on stderr), later ones load it. Two processes
// asking for the same new model at once do not corrupt the cache: they take a lock on
// `<cache>/<key>.lock`, build in a temporary directory and rename it into place.
// The cache is $SASIM_MODEL_CACHE, else $XDG_CACHE_HOME/sasim/models, else
// ~/.cache/sasim/models.
#ifndef SASIM_SIM_MODEL_CACHE_H_
#define SASIM_SIM_MODEL_CACHE_H_

#include <memory>
#include <string>

#include "contract/hw_config.h"
#include "sim/accel_core.h"

namespace sasim {

// The cache entry's name for `hw`, e.g. "sa_top_r32_a4096_w10240_o2048".
std::string ModelKey(const HwConfig& hw);
std::string ModelCacheDir();

// Loads (building first when needed) the model for `hw`. Throws SimulationError when the build
// fails (with the log's path) and InputError when the cache directory cannot be used.
std::unique_ptr<Core> MakeOnDemandCore(const HwConfig& hw, DramPort* port);

}  // namespace sasim

#endif  // SASIM_SIM_MODEL_CACHE_H_
