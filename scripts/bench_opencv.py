#!/usr/bin/env python3
"""The OpenCV-Python side of the face benchmark: the same work preflight's face analysis does,
done the way an OpenCV script would: DCT-reduced JPEG decode straight to grey (IMREAD_REDUCED_*),
a shrink to at most 640 px, frontal-face detection with haarcascade_frontalface_alt2
(scaleFactor 1.1, minNeighbors 3, minSize 20) and eye detection in each face's upper half.
Prints files/second. Usage: bench_opencv.py CASCADE_DIR FILE..."""
import sys, time
import cv2

cv2.setNumThreads(1)  # one worker per process; run one process per core for the parallel figure
d = sys.argv[1]
face = cv2.CascadeClassifier(d + "/haarcascades/haarcascade_frontalface_alt2.xml")
eyes = cv2.CascadeClassifier(d + "/haarcascades/haarcascade_eye.xml")
files = sys.argv[2:]
start = time.perf_counter()
found = 0
for path in files:
    img = cv2.imread(path, cv2.IMREAD_REDUCED_GRAYSCALE_8)
    if img is None:
        continue
    h, w = img.shape
    if max(h, w) < 480:
        img = cv2.imread(path, cv2.IMREAD_REDUCED_GRAYSCALE_4)
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
