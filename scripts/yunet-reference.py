#!/usr/bin/env python3
"""Records what OpenCV's cv2.FaceDetectorYN finds on the photos in Fixtures/, as the reference
our own YuNet runtime (Sources/FaceNet) is tested against (Tests/FaceNetTests/YuNetReferenceTests).

Each photo is turned into the detector's input by `pp-fixtures yunet --dump` (decoded upright,
resampled so its long side is 640 px), so OpenCV and our runtime see the same pixels; OpenCV then
runs with one thread, score threshold 0.5, NMS 0.3. Writes Fixtures/yunet-reference.json.
OpenCV is used only here, never by the tool or its tests.

Usage: scripts/yunet-reference.py [PP_FIXTURES] [MODEL]   (needs opencv-python-headless<5)"""
import glob, hashlib, json, os, subprocess, sys, tempfile
import cv2

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pp = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".build/debug/pp-fixtures")
model = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    os.environ.get("PREFLIGHT_MODELS") or os.path.join(os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "preflight/models"),
    "face_detection_yunet_2023mar.onnx")
cv2.setNumThreads(1)
fixtures = os.path.join(root, "Fixtures")
names = sorted(glob.glob(os.path.join(fixtures, "eval/*.jpg"))) \
    + sorted(glob.glob(os.path.join(fixtures, "fetched/real/*.jpg"))) \
    + sorted(glob.glob(os.path.join(fixtures, "fetched/face_recognition/*.jpg")))
out = {"model_sha256": hashlib.sha256(open(model, "rb").read()).hexdigest(), "opencv": cv2.__version__,
       "long_side": 640, "score_threshold": 0.5, "nms_threshold": 0.3, "images": {}}
with tempfile.TemporaryDirectory() as tmp:
    for path in names:
        png = os.path.join(tmp, "input.png")
        subprocess.run([pp, "yunet", model, path, "--long-side", "640", "--dump", png], check=True, stdout=subprocess.DEVNULL)
        img = cv2.imread(png)
        h, w = img.shape[:2]
        detector = cv2.FaceDetectorYN_create(model, "", (w, h), 0.5, 0.3, 5000)
        _, faces = detector.detect(img)
        rows = [] if faces is None else [[round(float(v), 4) for v in row] for row in faces]
        out["images"][os.path.relpath(path, fixtures)] = {"width": w, "height": h, "faces": rows}
        print(f"{os.path.relpath(path, fixtures)}: {len(rows)} face(s)", file=sys.stderr)
with open(os.path.join(fixtures, "yunet-reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
