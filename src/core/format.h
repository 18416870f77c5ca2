// Number formatting shared by messages and reports.
#pragma once

#include <cstdint>
#include <string>

namespace cnn::detail {

// 47040016 -> "47,040,016"; negative values keep their sign.
std::string with_thousands(int64_t value);

}  // namespace cnn::detail
