"""edgert: load compiled .bin models and run them on numpy arrays.

The names follow Horizon's ``hobot_dnn.pyeasy_dnn`` so board scripts port by changing the
import (README "Python")::

    import edgert as dnn
    models = dnn.load("model.bin")
    nv12 = dnn.bgr_to_nv12(cv2.imread("cat.jpg"), size=(224, 224))
    outputs = models[0].forward(nv12)
    logits = outputs[0].numpy()          # float32, valid shape, dequantized

Everything here is the C++ runtime (``edgert._edgert``); the functions below only name the
image conversions of ``bgr_to_input``.
"""
from ._edgert import (Model, Output, Tensor, TensorProperties, __version__, bgr_to_input,
                      imread, load)

__all__ = ["Model", "Output", "Tensor", "TensorProperties", "__version__", "bgr_to_input",
           "imread", "load", "bgr_to_nv12", "bgr_to_y", "bgr_to_gray", "bgr_to_yuv444",
           "bgr_to_rgb", "bgr_to_bgr", "image_to_input"]


def bgr_to_nv12(image, size=None, range="regular"):
    """HxWx3 uint8 BGR -> NV12 bytes (1-D, H*W*3/2), resized to size=(width, height) first."""
    return bgr_to_input(image, "IMG_NV12", "NHWC", size, range)


def bgr_to_y(image, size=None, range="regular"):
    """-> IMG_Y, shape (1, H, W, 1)."""
    return bgr_to_input(image, "IMG_Y", "NHWC", size, range)


def bgr_to_gray(image, size=None, range="regular", layout="NHWC"):
    """-> IMG_GRAY, shape (1, H, W, 1) or (1, 1, H, W)."""
    return bgr_to_input(image, "IMG_GRAY", layout, size, range)


def bgr_to_yuv444(image, size=None, range="regular", layout="NHWC"):
    """-> IMG_YUV444, shape (1, H, W, 3) or (1, 3, H, W)."""
    return bgr_to_input(image, "IMG_YUV444", layout, size, range)


def bgr_to_rgb(image, size=None, layout="NHWC"):
    """-> IMG_RGB, shape (1, H, W, 3) or (1, 3, H, W)."""
    return bgr_to_input(image, "IMG_RGB", layout, size, "regular")


def bgr_to_bgr(image, size=None, layout="NHWC"):
    """-> IMG_BGR, shape (1, H, W, 3) or (1, 3, H, W)."""
    return bgr_to_input(image, "IMG_BGR", layout, size, "regular")


def image_to_input(image, tensor):
    """What ``infer --input_file`` makes for model input ``tensor`` (a Model.inputs entry) from
    an HxWx3 uint8 BGR image: resized to the input's valid size, converted to its type, layout
    and colour range."""
    p = tensor.properties
    nchw = p.layout == "NCHW"
    h, w = p.valid_shape[2:4] if nchw else p.valid_shape[1:3]
    return bgr_to_input(image, p.tensor_type, p.layout, (w, h), tensor.color_range or "regular")
