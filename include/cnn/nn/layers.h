/// \file
/// Every layer of cnn::nn, by family.
#pragma once

#include "cnn/nn/activation.h"
#include "cnn/nn/containers.h"
#include "cnn/nn/conv.h"
#include "cnn/nn/formula.h"
#include "cnn/nn/init.h"
#include "cnn/nn/linear.h"
#include "cnn/nn/module.h"
#include "cnn/nn/norm.h"
#include "cnn/nn/pool.h"
