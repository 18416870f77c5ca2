// Text for the one-line layer descriptions (Module::name()).
#pragma once

#include <sstream>
#include <string>

#include "cnn/shape.h"

namespace cnn::nn::detail {

// "1" when all sides agree, "(1, 2)" for symmetric rows and columns, else all four sides.
inline std::string padding_text(const Pad2d& p) {
  std::ostringstream out;
  if (p.top == p.bottom && p.left == p.right) {
    if (p.top == p.left) {
      out << p.top;
    } else {
      out << '(' << p.top << ", " << p.left << ')';
    }
  } else {
    out << p;
  }
  return out.str();
}

}  // namespace cnn::nn::detail
