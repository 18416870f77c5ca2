// The umbrella header: everything a user of the library needs.
#pragma once

#include "cnn/autograd.h"
#include "cnn/error.h"
#include "cnn/generator.h"
#include "cnn/gradcheck.h"
#include "cnn/ops/elementwise.h"
#include "cnn/ops/reduce.h"
#include "cnn/parallel.h"
#include "cnn/shape.h"
#include "cnn/tensor.h"
