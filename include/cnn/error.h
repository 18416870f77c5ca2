/// \file
/// Errors raised on bad arguments and bad input. Every message names the operation, the
/// argument and the shapes involved, so a user can fix the call without a debugger.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace cnn {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Parts>
std::string concat(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  return out.str();
}
}  // namespace detail

/// Throws cnn::Error whose message is the streamed concatenation of `parts`.
template <class... Parts>
[[noreturn]] void fail(Parts&&... parts) {
  throw Error(detail::concat(std::forward<Parts>(parts)...));
}

}  // namespace cnn

#define CNN_CHECK(cond, ...)    \
  do {                          \
    if (!(cond)) {              \
      ::cnn::fail(__VA_ARGS__); \
    }                           \
  } while (0)
