#!/usr/bin/python3
"""CPU per frame of zxing-cpp (Debian's python3-zxing-cpp) on the frames
that TestWriteFrames writes: median of 5 rounds of 40 decodes, with the
JPEG decoding (PIL, libjpeg-turbo) and without (a decoded grey array).

    /usr/bin/python3 scanner/qrimage/testdata/zxingcpp_frames.py DIR
"""
import glob, io, os, statistics, sys, time

import numpy
import zxingcpp
from PIL import Image


def measure(fn, rounds=5, n=40):
    out = []
    for _ in range(rounds):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        out.append((time.process_time() - t0) / n * 1000)
    return statistics.median(out)


def main(d):
    fmt = zxingcpp.BarcodeFormat.QRCode
    print("%-22s %-6s %10s %12s %12s" % ("frame", "found", "jpeg ms", "with jpeg", "decode only"))
    for f in sorted(glob.glob(os.path.join(d, "*.jpg"))):
        data = open(f, "rb").read()
        arr = numpy.asarray(Image.open(io.BytesIO(data)).convert("L"))
        found = "yes" if zxingcpp.read_barcodes(arr, formats=fmt) else "-"
        jpeg = measure(lambda: Image.open(io.BytesIO(data)).convert("L").load())
        full = measure(lambda: zxingcpp.read_barcodes(numpy.asarray(Image.open(io.BytesIO(data)).convert("L")), formats=fmt))
        only = measure(lambda: zxingcpp.read_barcodes(arr, formats=fmt))
        print("%-22s %-6s %10.2f %12.2f %12.2f" % (os.path.basename(f), found, jpeg, full, only))


if __name__ == "__main__":
    main(sys.argv[1])
