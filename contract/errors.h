// The few exception types of sasim. Messages name the object (file:line key, layer, tensor).
#ifndef SASIM_CONTRACT_ERRORS_H_
#define SASIM_CONTRACT_ERRORS_H_

#include <stdexcept>
#include <string>

namespace sasim {

// Bad user input: a config, a net, a tensor file. Tools exit with code 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A layer that the hardware configuration cannot run (e.g. a reduction too long for a buffer).
class CompileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The simulated hardware misbehaved: watchdog, error status, protocol violation.
class SimulationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace sasim

#endif  // SASIM_CONTRACT_ERRORS_H_
