#!/usr/bin/env python3
"""The face detector alone: our YuNet runtime (Sources/FaceNet, via `pp-fixtures yunet --repeat`)
against OpenCV's cv2.FaceDetectorYN with one thread, on the same input pixels (each labelled photo
decoded upright and resampled to a long side of 640, as scripts/yunet-reference.py does). Prints
milliseconds per detection for each photo and the means. Needs opencv-python-headless<5 and a
release build: swift build -c release --product pp-fixtures.

Usage: scripts/bench-yunet.py [REPEATS]   (default 20 timed runs per photo, after one warm-up)"""
import glob, os, re, subprocess, sys, tempfile, time
import cv2

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pp = os.path.join(root, ".build/release/pp-fixtures")
model = os.path.join(os.environ.get("PREFLIGHT_MODELS") or os.path.join(
    os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "preflight/models"), "face_detection_yunet_2023mar.onnx")
repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 20
cv2.setNumThreads(1)
photos = sorted(glob.glob(os.path.join(root, "Fixtures/eval/*.jpg"))) + sorted(glob.glob(os.path.join(root, "Fixtures/fetched/real/*.jpg")))
ours_all, cv_all = [], []
with tempfile.TemporaryDirectory() as tmp:
    for path in photos:
        png = os.path.join(tmp, "in.png")
        run = subprocess.run([pp, "yunet", model, path, "--long-side", "640", "--dump", png, "--repeat", str(repeats)],
                             capture_output=True, text=True, check=True)
        ours = float(re.search(r"([0-9.]+) ms per run", run.stderr).group(1))
        img = cv2.imread(png)
        h, w = img.shape[:2]
        det = cv2.FaceDetectorYN_create(model, "", (w, h), 0.6, 0.3, 5000)
        det.detect(img)
        t = time.perf_counter()
        for _ in range(repeats):
            det.detect(img)
        cv = (time.perf_counter() - t) * 1000 / repeats
        ours_all.append(ours)
        cv_all.append(cv)
        print(f"{os.path.relpath(path, root):50} {w}x{h}  ours {ours:6.1f} ms  OpenCV {cv:6.1f} ms")
n = len(photos)
print(f"mean over {n} photos: ours {sum(ours_all) / n:.1f} ms, OpenCV (1 thread) {sum(cv_all) / n:.1f} ms, "
      f"ratio {sum(ours_all) / sum(cv_all):.2f}")
