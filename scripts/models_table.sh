#!/usr/bin/env bash
# Prints the Markdown table of docs/MODELS.md from `cnn summary --json` for every registered
# model: torchvision's models at 224x224x3 (inception_v3 at 299x299x3), the small-image family
# at 32x32x3, all with 1000 and 10 classes respectively.
set -euo pipefail
cnn=${1:-build/cnn}
echo "| model | input | classes | parameters | multiply-adds |"
echo "|---|---|---|---:|---:|"
for name in $($cnn summary --list); do
  case $name in
    resnet20|resnet32|resnet44|resnet56|resnet110|plain*|resnet164|densenet_bc_100_12|wrn28_10)
      input=32x32x3; classes=10 ;;
    inception_v3) input=299x299x3; classes=1000 ;;
    alexnet_lecture) input=227x227x3; classes=1000 ;;
    *) input=224x224x3; classes=1000 ;;
  esac
  $cnn summary "$name" --input $input --classes $classes --json |
    python3 -c '
import json, sys
j = json.load(sys.stdin)
print("| %s | %s | %s | {:,} | {:,} |".format(j["parameters"], j["macs"])
      % (j["model"], sys.argv[1], sys.argv[2]))' "$input" "$classes"
done
