#include <gtest/gtest.h>

#include "core/format.h"

namespace cnn {
namespace {

TEST(Format, ThousandsSeparators) {
  EXPECT_EQ(detail::with_thousands(0), "0");
  EXPECT_EQ(detail::with_thousands(999), "999");
  EXPECT_EQ(detail::with_thousands(1000), "1,000");
  EXPECT_EQ(detail::with_thousands(269722), "269,722");
  EXPECT_EQ(detail::with_thousands(40551040), "40,551,040");
  EXPECT_EQ(detail::with_thousands(-1234567), "-1,234,567");
}

}  // namespace
}  // namespace cnn
