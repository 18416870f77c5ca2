#!/usr/bin/env python3
"""Writes, with Debian's torch, state_dicts in torch.save's legacy (non-zip) format, which the
.pth reader must recognize and refuse with the advice to re-save them (tests/io/pth_test.cpp):

  legacy.pth            torch.save(..., _use_new_zipfile_serialization=False), pickle protocol 2
  legacy_protocol4.pth  the same with pickle_protocol=4 (a FRAME opcode before the magic number)

Usage: make_legacy_pth.py OUT_DIR
"""
import collections
import os
import sys

import torch

state = collections.OrderedDict(weight=torch.arange(4, dtype=torch.float32))
torch.save(state, os.path.join(sys.argv[1], "legacy.pth"), _use_new_zipfile_serialization=False)
torch.save(state, os.path.join(sys.argv[1], "legacy_protocol4.pth"),
           _use_new_zipfile_serialization=False, pickle_protocol=4)
