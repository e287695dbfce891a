"""The Python module `edgert` (python/): pytest, on the host python3 and, in the aarch64 suite, on
the arm64 sysroot's python3 under qemu (tests/python/CMakeLists.txt).

References are independent of the module: hand-computed descriptions and conv results on the
sample model, `infer`'s dumps (a separate program, run by ctest before this), ONNX Runtime's
outputs (scripts/prepare_models.sh), and scripts/preprocess_ref.py (numpy) for image bytes.

Environment (set by ctest): EDGERT_MODELS_DIR (prepared models), EDGERT_PY_DATA (the folder
where the ctest fixtures wrote sample.bin and infer's dumps: f32/, int8/, nv12/).
"""
import hashlib
import os
import sys
import threading
import time

import numpy as np
import pytest

import edgert

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import preprocess_ref  # noqa: E402  (numpy only; cv2 only when it resizes)

MODELS = os.environ.get("EDGERT_MODELS_DIR", os.path.join(ROOT, "build", "models"))
DATA = os.environ.get("EDGERT_PY_DATA", "")
IMAGE = "/usr/share/doc/opencv-doc/examples/data/baboon.jpg"
HINT = f" (run scripts/prepare_models.sh {MODELS})"


def model_path(name):
    path = os.path.join(MODELS, name + ".bin")
    assert os.path.isfile(path), path + " missing" + HINT
    return path


def data_path(*parts):
    path = os.path.join(DATA, *parts)
    assert os.path.exists(path), path + " missing: run through ctest (tests/python/CMakeLists.txt)"
    return path


def cosine(a, b):
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-30))


def pad_to_aligned(x, props):
    """An independent padding: the valid array placed at the origin of a zero aligned array."""
    out = np.zeros(props.aligned_shape, x.dtype)
    out[tuple(slice(0, d) for d in props.valid_shape)] = x.reshape(props.valid_shape)
    return out


# ---- descriptions: the sample model, checked against the README alignment rules by hand ----

@pytest.fixture(scope="module")
def sample():
    models = edgert.load(data_path("sample.bin"))
    return {m.name: m for m in models}


def test_load_returns_every_model_of_the_file(sample):
    assert sorted(sample) == ["camera", "featuremap"]


def test_featuremap_properties(sample):
    m = sample["featuremap"]
    assert [t.name for t in m.inputs] == ["data"] and [t.name for t in m.outputs] == ["out"]
    p = m.inputs[0].properties
    assert p.tensor_type == "F32" and p.layout == "NCHW"
    assert p.shape == p.valid_shape == (1, 3, 7, 7)
    # W = 7 floats = 28 bytes, rows padded to 32 bytes = 8 floats.
    assert p.aligned_shape == (1, 3, 7, 8)
    assert p.stride == (3 * 7 * 32, 7 * 32, 32, 4)
    assert p.aligned_byte_size == 3 * 7 * 32 and p.valid_byte_size == 3 * 7 * 7 * 4
    assert p.dtype == np.float32
    assert p.scale_data.size == 0 and p.zero_point.size == 0  # a float tensor
    assert m.outputs[0].properties.aligned_shape == (1, 4, 7, 8)
    assert m.inputs[0].color_range is None
    assert "data" in repr(p) and "F32" in repr(p)


def test_nv12_properties(sample):
    t = sample["camera"].inputs[0]
    p = t.properties
    assert t.name == "image" and p.tensor_type == "IMG_NV12" and p.layout == "NHWC"
    assert p.valid_shape == (1, 6, 10, 3)
    assert p.stride[1:] == (16, 1, 0)  # W = 10 bytes -> 16; C has no step in NV12
    assert p.aligned_byte_size == 16 * 6 * 3 // 2 and p.valid_byte_size == 10 * 6 * 3 // 2
    assert p.dtype == np.uint8
    assert t.color_range == "regular"


def test_forward_identity_conv_valid_and_aligned(sample):
    # conv weight[o][c] = 1 where c == o % 3, no bias: output channel o is input channel o % 3.
    m = sample["featuremap"]
    x = np.random.RandomState(3).uniform(-1, 1, (1, 3, 7, 7)).astype(np.float32)
    want = x[:, [0, 1, 2, 0]]
    outs = m.forward(x)
    assert len(outs) == 1 and outs[0].name == "out"
    np.testing.assert_array_equal(outs[0].numpy(), want)
    np.testing.assert_array_equal(outs[0].buffer, want)  # float output: stored == dequantized
    assert outs[0].raw.shape == (1, 4, 7, 8)
    np.testing.assert_array_equal(outs[0].raw[..., :7], want)
    assert not outs[0].raw[..., 7:].any()  # the engine zeroes padding
    # The aligned size, a list argument, a non-contiguous view and a thread count all agree.
    aligned = pad_to_aligned(x, m.inputs[0].properties)
    np.testing.assert_array_equal(m.forward([aligned])[0].numpy(), want)
    np.testing.assert_array_equal(m.forward(aligned[..., :7])[0].numpy(), want)
    np.testing.assert_array_equal(m.forward((x,), intra_threads=2)[0].numpy(), want)
    np.testing.assert_array_equal(m.forward(x, intra_threads=1)[0].numpy(), want)
    # Outputs own their memory: a later forward does not change an earlier result.
    first = m.forward(x)[0]
    m.forward(np.zeros_like(x))
    np.testing.assert_array_equal(first.numpy(), want)


# ---- every error path: ValueError for the caller's data, RuntimeError for the rest ----

def test_cache_dir_gives_the_same_outputs(sample, tmp_path):
    """load(path, cache_dir): the session writes the start-up cache on its first forward, and a
    second load reads it back; outputs equal those of a model loaded without a cache."""
    x = np.random.default_rng(3).standard_normal((1, 3, 7, 7)).astype(np.float32)
    want = sample["featuremap"].forward(x)[0].numpy()
    cache = tmp_path / "cache"
    for _ in range(2):
        m = {m.name: m for m in edgert.load(data_path("sample.bin"), cache_dir=str(cache))}
        np.testing.assert_array_equal(m["featuremap"].forward(x)[0].numpy(), want)
        assert [p.name for p in cache.glob("featuremap.*.weights")], sorted(os.listdir(cache))


def test_load_errors(tmp_path):
    with pytest.raises(RuntimeError, match="file error: /nonexistent/m.bin"):
        edgert.load("/nonexistent/m.bin")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a model" * 20)
    with pytest.raises(RuntimeError, match="format error: .*junk.bin"):
        edgert.load(str(junk))


def test_forward_errors(sample, tmp_path):
    m = sample["featuremap"]
    x = np.zeros((1, 3, 7, 7), np.float32)
    with pytest.raises(ValueError, match=r"input 0 'data': expected dtype float32 \(F32\), got float64"):
        m.forward(x.astype(np.float64))
    with pytest.raises(ValueError, match=r"input 0 'data': expected 588 bytes \(valid 1x3x7x7\) or "
                                         r"672 bytes \(aligned 1x3x7x8\), got shape \(1,3,7,6\)"):
        m.forward(x[..., :6])
    with pytest.raises(ValueError, match=r"model 'featuremap' has 1 input\(s\) \('data'\), got 2"):
        m.forward([x, x])
    with pytest.raises(ValueError, match=r"got 0 array"):
        m.forward([])
    with pytest.raises(ValueError, match="input 0 'data': expected a numpy array, got <class 'str'>"):
        m.forward("data")
    with pytest.raises(ValueError, match="intra_threads must be >= 1, got 0"):
        m.forward(x, intra_threads=0)
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(RuntimeError, match="file error: .*cannot create output directory"):
        m.forward(x, dump_dir=str(blocker / "sub"))
    cam = sample["camera"]
    # The sample's camera model describes an input the engine cannot run (model_info only):
    # its session fails at the first forward() with the engine's message.
    with pytest.raises(RuntimeError, match="engine error: model 'camera': node 0 'in_adapter'"):
        cam.forward(np.zeros(90, np.uint8))
    with pytest.raises(ValueError, match=r"input 0 'image': expected dtype uint8 \(IMG_NV12\), got int8"):
        cam.forward(np.zeros(90, np.int8))
    with pytest.raises(ValueError, match=r"expected 90 bytes .* or 144 bytes .*, got shape \(91,\)"):
        cam.forward(np.zeros(91, np.uint8))


def test_image_errors(tmp_path):
    img = np.zeros((4, 6, 3), np.uint8)
    with pytest.raises(ValueError, match=r"expected an HxWx3 uint8 BGR array, got shape \(4,6\)"):
        edgert.bgr_to_nv12(img[..., 0])
    with pytest.raises(ValueError, match=r"got shape \(4,6,3\) float32"):
        edgert.bgr_to_nv12(img.astype(np.float32))
    with pytest.raises(ValueError, match="expected a numpy HxWx3 uint8 BGR array, got <class 'list'>"):
        edgert.bgr_to_nv12([1, 2, 3])
    with pytest.raises(ValueError, match="invalid argument: .*NV21"):
        edgert.bgr_to_input(img, "NV21")
    with pytest.raises(ValueError, match="input error: image: input 'image' is F32 featuremap"):
        edgert.bgr_to_input(img, "F32")
    with pytest.raises(ValueError, match="invalid argument: .*even"):
        edgert.bgr_to_nv12(img, size=(5, 4))
    with pytest.raises(ValueError, match="invalid argument: .*bt709"):
        edgert.bgr_to_nv12(img, range="bt709")
    with pytest.raises(RuntimeError, match="file error: image file /nonexistent/a.jpg: cannot open"):
        edgert.imread("/nonexistent/a.jpg")
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    with pytest.raises(ValueError, match="input error: .*junk.png"):
        edgert.imread(str(junk))


# ---- image helpers: the bytes scripts/preprocess_ref.py (numpy) computes ----

@pytest.mark.parametrize("kind", ["nv12", "y", "gray", "yuv444", "rgb", "bgr"])
@pytest.mark.parametrize("rng", ["regular", "bt601_video"])
def test_image_helpers_equal_numpy_reference(kind, rng):
    bgr = edgert.imread(IMAGE)[100:148, 200:264]  # 64x48, a real photo's pixels
    layouts = ["NHWC"] if kind in ("nv12", "y") else ["NHWC", "NCHW"]
    for layout in layouts:
        if kind in ("rgb", "bgr") and rng != "regular":
            continue  # no range for rgb/bgr
        fn = getattr(edgert, "bgr_to_" + kind)
        kw = {} if kind in ("nv12", "y") else {"layout": layout}
        if kind not in ("rgb", "bgr"):
            kw["range"] = rng
        got = fn(bgr, **kw)
        want = preprocess_ref.to_input_rt(np.ascontiguousarray(bgr), kind, 48, 64, layout, rng)
        np.testing.assert_array_equal(got.ravel(), want.ravel(), err_msg=f"{kind} {layout} {rng}")


def test_image_resize_equals_opencv():
    cv2 = pytest.importorskip("cv2", reason="the sysroot has no python3-opencv")
    bgr = cv2.imread(IMAGE, cv2.IMREAD_COLOR)
    np.testing.assert_array_equal(edgert.imread(IMAGE), bgr)
    got = edgert.bgr_to_nv12(bgr, size=(40, 30), range="bt601_video")
    want = preprocess_ref.to_input_rt(bgr, "nv12", 30, 40, "NHWC", "bt601_video")
    np.testing.assert_array_equal(got, want.ravel())


# ---- whole models: bit for bit against infer's dumps, and against ONNX Runtime ----

def check_against_infer(model, x, dump_dir, tmp_path):
    outs = model.forward(x, dump_dir=str(tmp_path))
    for i, (o, t) in enumerate(zip(outs, model.outputs)):
        name = f"model_infer_output_{i}_{t.name}.bin"
        ref = np.fromfile(os.path.join(dump_dir, name), np.float32)
        got = o.numpy()
        assert got.dtype == np.float32 and got.shape == t.properties.valid_shape
        assert got.tobytes() == ref.tobytes(), f"{name}: forward() differs from infer's dump"
        # dump_dir wrote the same file infer did.
        assert (tmp_path / name).read_bytes() == ref.tobytes()
    return outs


def test_f32_model_equals_infer(tmp_path):
    m = edgert.load(model_path("resnet18_tiny"))[0]
    x = np.fromfile(os.path.join(MODELS, "resnet18_tiny.input.bin"), np.float32)
    check_against_infer(m, x, data_path("f32"), tmp_path)


def test_int8_model_equals_infer(tmp_path):
    m = edgert.load(model_path("digits_int8"))[0]
    p = m.inputs[0].properties
    x = np.fromfile(os.path.join(MODELS, "digits_int8.input.bin"), p.dtype)
    outs = check_against_infer(m, x, data_path("int8"), tmp_path)
    for o in outs:  # pyeasy_dnn's rule: dequantize where scale_data is non-empty
        q = o.properties
        if q.scale_data.size:
            deq = (o.buffer.astype(np.float32) - q.zero_point.astype(np.float32)) * q.scale_data
            np.testing.assert_allclose(o.numpy(), deq, rtol=1e-6)
        else:
            np.testing.assert_array_equal(o.buffer, o.numpy())


def test_nv12_from_jpeg_equals_infer_and_onnxruntime(tmp_path):
    m = edgert.load(model_path("mobilenet_v2_tiny_nv12"))[0]
    t = m.inputs[0]
    nv12 = edgert.image_to_input(edgert.imread(IMAGE), t)
    # The same bytes infer makes from the JPEG (also an input file of the prepared models).
    ref_in = np.fromfile(os.path.join(MODELS, "mobilenet_v2_tiny_nv12.input.bin"), np.uint8)
    assert nv12.tobytes() == ref_in.tobytes()
    outs = check_against_infer(m, nv12, data_path("nv12"), tmp_path)
    ort = np.fromfile(os.path.join(MODELS, "mobilenet_v2_tiny_nv12.ort", "output.bin"), np.float32)
    c = cosine(outs[0].numpy(), ort)
    print(f"mobilenet_v2_tiny_nv12 from {IMAGE}: cosine {c:.8f} vs ONNX Runtime")
    assert c >= 0.99999


# ---- threads: the GIL is released while the engine runs ----

def test_one_model_shared_by_two_threads(sample):
    m = sample["featuremap"]
    xs = [np.full((1, 3, 7, 7), v, np.float32) for v in (1.0, 2.0)]
    errors = []

    def work(x):
        try:
            for _ in range(50):
                np.testing.assert_array_equal(m.forward(x)[0].numpy(), x[:, [0, 1, 2, 0]])
        except Exception as e:  # noqa: BLE001  (reported below)
            errors.append(e)
    threads = [threading.Thread(target=work, args=(x,)) for x in xs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def big_model():
    name = "resnet18" if os.path.isfile(os.path.join(MODELS, "resnet18.bin")) else "mobilenet_v2"
    return name, np.fromfile(os.path.join(MODELS, name + ".input.bin"), np.float32)


@pytest.mark.native
def test_forward_releases_the_gil():
    # While a worker thread is inside forward(), this thread keeps running Python. Were the GIL
    # held during Run(), this thread could run only in the switch interval around each call's
    # entry and exit, never in the interior of the call; that holds however busy the machine is.
    name, x = big_model()
    m = edgert.load(model_path(name))[0]
    m.forward(x)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    spans, ticks, done = [], [], threading.Event()

    def worker():
        for _ in range(6):
            c0, t0 = time.thread_time(), time.perf_counter()
            m.forward(x)
            # The call was inside the C++ function for at least its CPU time, starting at most a
            # switch interval after t0; its wall end may be later (waits for the GIL, the OS).
            spans.append((t0, t0 + time.thread_time() - c0))
        done.set()
    try:
        t = threading.Thread(target=worker)
        t.start()
        while not done.is_set():
            ticks.append(time.perf_counter())
        t.join()
    finally:
        sys.setswitchinterval(switch)
    ticks = np.array(ticks)
    margin = 2e-3  # 20 switch intervals
    inside = [int(((ticks > a + margin) & (ticks < b - margin)).sum()) for a, b in spans]
    print(f"{name}: forward() calls of {', '.join(f'{(b - a) * 1e3:.0f}' for a, b in spans)} ms "
          f"CPU; this thread ran inside them {inside} times")
    assert sum(n > 0 for n in inside) >= len(spans) // 2


@pytest.mark.native
def test_two_threads_run_in_parallel():
    name, x = big_model()
    a, b = edgert.load(model_path(name))[0], edgert.load(model_path(name))[0]
    frames = 6
    for m in (a, b):
        m.forward(x, intra_threads=1)

    def run(m):
        for _ in range(frames):
            m.forward(x)

    # The control: hashlib releases the GIL while it hashes a large buffer, so two threads
    # hashing run in parallel whenever the machine has two free cores. Its wall ratio tells
    # whether it has them now (a neighbour's compile or fuzzer may hold one).
    blob = os.urandom(1 << 22)

    def hashing(_):
        for _ in range(16):
            hashlib.sha256(blob).digest()

    def wall(work, args):
        threads = [threading.Thread(target=work, args=(m,)) for m in args]
        w0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - w0

    # Best of five each (by wall time), taken alternately, so load that comes and goes falls on
    # all four measurements rather than on one of them.
    t1 = t2 = h1 = h2 = float("inf")
    for _ in range(5):
        t1 = min(t1, wall(run, (a,)))
        t2 = min(t2, wall(run, (a, b)))
        h1 = min(h1, wall(hashing, (0,)))
        h2 = min(h2, wall(hashing, (0, 1)))
    print(f"{name}: {frames} frames in one thread {t1 * 1e3:.1f} ms, {frames} in each of two "
          f"threads {t2 * 1e3:.1f} ms, wall ratio {t2 / t1:.2f}; control (sha256 in threads) "
          f"{h2 / h1:.2f}")
    if h2 / h1 > 1.3:
        # Two GIL-free threads did not get two cores: wall time measures the neighbours. The GIL
        # test above still shows parallel progress.
        pytest.skip(f"machine busy: two hashing threads took {h2 / h1:.2f}x one; wall ratio "
                    f"{t2 / t1:.2f} not meaningful")
    # The machine had two cores for two threads, so two sessions must use them: the issue's
    # criterion.
    assert t2 < 1.5 * t1


# ---- a quantized output: pyeasy_dnn's buffer / scale_data meaning ----

def test_quantized_output_buffer_scale_and_numpy():
    m = edgert.load(data_path("quant.bin"))[0]
    x = np.array([[-6.4, -0.05, -0.024, 0.0, 0.026, 0.075, 0.1, 1.0, 6.2, 7.0]], np.float32)
    out = m.forward(x)[0]
    p = out.properties
    assert p.tensor_type == "S8" and p.valid_shape == (1, 10) and p.aligned_shape == (1, 16)
    np.testing.assert_array_equal(p.scale_data, np.float32([0.05]))
    np.testing.assert_array_equal(p.zero_point, [3])
    # ONNX QuantizeLinear by hand: round half to even of x / 0.05, + 3, saturated to int8.
    want = np.array([[-125, 2, 3, 3, 4, 5, 5, 23, 127, 127]], np.int8)
    assert out.buffer.dtype == np.int8 and out.buffer.shape == (1, 10)
    np.testing.assert_array_equal(out.buffer, want)
    np.testing.assert_array_equal(out.raw[:, :10], want)
    assert out.raw.shape == (1, 16) and not out.raw[:, 10:].any()
    # numpy() is the dequantized value, as the pyeasy_dnn scripts compute it.
    deq = (want.astype(np.float32) - np.float32(3)) * np.float32(0.05)
    np.testing.assert_array_equal(out.numpy(), deq)
    np.testing.assert_array_equal(
        out.numpy(), (out.buffer.astype(np.float32) - p.zero_point.astype(np.float32)) * p.scale_data)
