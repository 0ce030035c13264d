// Vector-unit layers (add, max/average pool, ReLU; contract/layer.h) -> VECTOR commands. The
// tensor is cut into tiles of whole channel blocks x bands of output rows that fit the
// activation buffer (one or two operands) and the output buffer, double-buffered where two
// tiles fit. Internal to the compiler: layer_compiler.h dispatches here by the layer's kind.
#ifndef SASIM_COMPILER_VECTOR_COMPILER_H_
#define SASIM_COMPILER_VECTOR_COMPILER_H_

#include <vector>

#include "compiler/layer_compiler.h"

namespace sasim::compiler {

Tiling ChooseVectorTiling(const Layer& layer, const HwConfig& hw);
CommandStats EmitVectorCommands(const Layer& layer, const Tiling& tiling, const HwConfig& hw,
                                const DramPlacement& place, std::vector<isa::CommandWords>* out,
                                uint32_t* dma_jobs, uint32_t* compute_jobs);

}  // namespace sasim::compiler

#endif  // SASIM_COMPILER_VECTOR_COMPILER_H_
