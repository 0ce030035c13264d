#!/usr/bin/python3
"""A shipped digits model (configs/vgg8_digits or configs/resnet_digits, trained and exported by
tools/train_digits.py): sim_run's --dataset run on the RTL must be bit-exact with the golden
model on every image and predict what PyTorch's INT8 model predicted, image by image.
Usage: digits_test.py SIM_RUN SOURCE_DIR [IMAGES [NAME]]   (NAME: vgg8_digits by default)"""
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def main():
    sim_run, source = sys.argv[1], sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    name = sys.argv[4] if len(sys.argv) > 4 else "vgg8_digits"
    d = os.path.join(source, "configs", name)
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run([sim_run, "--net", os.path.join(d, name + ".yaml"), "--dataset",
                              os.path.join(d, "test_images.npy"), "--labels",
                              os.path.join(d, "test_labels.npy"), "--limit", str(limit),
                              "--out", tmp, "--quiet", "--no-html"],
                             capture_output=True, text=True)
        print(run.stdout[-600:])
        if run.returncode != 0:
            print(f"sim_run failed ({run.returncode}): {run.stderr}")
            print("FAILED")
            return 1
        report = json.load(open(os.path.join(tmp, "report.json")))
        rows = list(csv.DictReader(open(os.path.join(tmp, "predictions.csv"))))
    torch_pred = np.load(os.path.join(d, "test_torch_int8_predictions.npy"))[:limit]
    labels = np.load(os.path.join(d, "test_labels.npy"))[:limit]
    sasim_pred = np.array([int(r["prediction"]) for r in rows])
    failures = 0
    if len(rows) != limit or report["dataset"]["images"] != limit:
        print(f"expected {limit} images, got {len(rows)}")
        failures += 1
    if report["dataset"]["bit_exact_images"] != limit:
        print(f"only {report['dataset']['bit_exact_images']} of {limit} images bit-exact")
        failures += 1
    disagree = np.nonzero(sasim_pred != torch_pred)[0]
    if len(disagree):
        print(f"sasim and PyTorch INT8 disagree on images {disagree.tolist()}")
        failures += 1
    top1 = float((sasim_pred == labels).mean())
    if abs(top1 - report["dataset"]["top1"]) > 1e-9:
        print(f"report top-1 {report['dataset']['top1']} != {top1}")
        failures += 1
    print(f"{limit} images: sasim top-1 {100 * top1:.1f}%, agrees with PyTorch INT8 on "
          f"{limit - len(disagree)} of {limit}")
    print("FAILED" if failures else "PASSED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
