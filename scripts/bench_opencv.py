#!/usr/bin/env python3
"""The OpenCV-Python side of the face benchmark: decode + frontal-face detection
(haarcascade_frontalface_alt2, scaleFactor 1.1, minNeighbors 3, minSize 20, on at most 640 px)
+ eye detection in each face's upper half, one thread. Two ways of decoding:
  --reduced  OpenCV at its best: DCT-reduced JPEG decode straight to grey (IMREAD_REDUCED_*),
             the same trick preflight uses;
  --full     as OpenCV scripts are usually written: cv2.imread (full size, colour, EXIF
             rotation), cvtColor to grey, resize (INTER_AREA) to 640 px.
With OPENCV_THREADS=default, OpenCV keeps its own thread pool (detectMultiScale then uses every
core; the decode stays on one), as a script that does not set it runs.
Prints "files seconds faces". Usage: bench_opencv.py --reduced|--full CASCADE_DIR FILE..."""
import os, sys, time
import cv2

if os.environ.get("OPENCV_THREADS") != "default":
    cv2.setNumThreads(1)  # one worker per process, as preflight --jobs 1
mode, d = sys.argv[1], sys.argv[2]
face = cv2.CascadeClassifier(d + "/haarcascades/haarcascade_frontalface_alt2.xml")
eyes = cv2.CascadeClassifier(d + "/haarcascades/haarcascade_eye.xml")
files = sys.argv[3:]
start = time.perf_counter()
found = 0
for path in files:
    if mode == "--reduced":
        img = cv2.imread(path, cv2.IMREAD_REDUCED_GRAYSCALE_8)
        if img is None:
            continue
        if max(img.shape) < 480:
            img = cv2.imread(path, cv2.IMREAD_REDUCED_GRAYSCALE_4)
    else:
        colour = cv2.imread(path)
        if colour is None:
            continue
        img = cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY)
    h, w = img.shape
    if max(h, w) > 640:
        k = 640 / max(h, w)
        img = cv2.resize(img, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
    faces = face.detectMultiScale(img, 1.1, 3, minSize=(20, 20))
    for (x, y, fw, fh) in faces:
        band = img[y + fh // 6: y + fh // 6 + fh * 2 // 5, x: x + fw]
        eyes.detectMultiScale(band, 1.1, 2)
    found += len(faces)
elapsed = time.perf_counter() - start
print(f"{len(files)} {elapsed:.3f} {found}")
