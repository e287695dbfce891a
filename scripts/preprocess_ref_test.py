#!/usr/bin/env python3
"""Checks of scripts/preprocess_ref.py's train definition (the rt side is checked byte for byte
against the C++ conversion by tests/apps/image_input_test.cc). Run with /usr/bin/python3."""
import os
import sys
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import preprocess_ref as p  # noqa: E402


def flat(b, g, r, h=4, w=6):
    img = np.empty((h, w, 3), np.uint8)
    img[...] = (b, g, r)
    return img


class TrainTest(unittest.TestCase):
    def test_rgb_rt_is_passed_through_in_both_layouts(self):
        img = np.random.default_rng(1).integers(0, 256, (5, 7, 3), dtype=np.uint8)
        rt = p.to_input_rt(img, "rgb", 5, 7)
        nchw = p.to_train(rt, "rgb", "rgb", 5, 7, layout_train="NCHW")
        nhwc = p.to_train(rt, "rgb", "bgr", 5, 7, layout_train="NHWC")
        np.testing.assert_array_equal(nchw[0].transpose(1, 2, 0), img[..., ::-1])
        np.testing.assert_array_equal(nhwc[0], img)
        self.assertEqual(nchw.dtype, np.float32)

    def test_yuv_round_trip_recovers_a_flat_colour(self):
        for rng in p.RANGES:
            for rt_type in ("nv12", "yuv444"):
                rt = p.to_input_rt(flat(30, 120, 200), rt_type, 4, 6, rng=rng, aligned=True)
                rgb = p.to_train(rt, rt_type, "rgb", 4, 6, rng=rng, layout_train="NHWC")
                # NV12's halved integer coefficients (43/2 -> 21) cost up to ~3 in B.
                np.testing.assert_allclose(rgb[0], np.broadcast_to([200, 120, 30], (4, 6, 3)),
                                           atol=3.5 if rt_type == "nv12" else 2.0,
                                           err_msg=f"{rt_type} {rng}")
                grey = p.to_train(rt, rt_type, "gray", 4, 6, rng=rng)
                np.testing.assert_allclose(grey, 0.299 * 200 + 0.587 * 120 + 0.114 * 30,
                                           atol=1.5)

    def test_limits_map_to_full_range(self):
        for b, want in ((0, 0.0), (255, 255.0)):
            rt = p.to_input_rt(flat(b, b, b), "nv12", 4, 6, rng="bt601_video")
            self.assertEqual(rt[0, 0], 16 if b == 0 else 235)
            rgb = p.to_train(rt, "nv12", "rgb", 4, 6, rng="bt601_video")
            np.testing.assert_allclose(rgb, want, atol=1e-4)

    def test_nv12_chroma_is_replicated_over_its_block(self):
        h, w = 4, 4
        rt = np.zeros(h * w * 3 // 2, np.uint8)
        rt[:h * w] = 128
        rt[h * w:] = [100, 150, 200, 50, 60, 70, 80, 90]  # U,V of blocks (0,0) (1,0) (0,1) (1,1)
        yuv = p.to_train(rt, "nv12", "yuv444", h, w, layout_train="NCHW")[0]
        np.testing.assert_array_equal(yuv[1], [[100, 100, 200, 200], [100, 100, 200, 200],
                                               [60, 60, 80, 80], [60, 60, 80, 80]])
        np.testing.assert_array_equal(yuv[2][3], [70, 70, 90, 90])

    def test_normalization(self):
        rt = p.to_input_rt(flat(10, 20, 30), "bgr", 4, 6)
        out = p.to_train(rt, "bgr", "rgb", 4, 6, norm="data_mean_and_scale",
                         mean=[1, 2, 3], scale=[0.5, 0.25, 2])
        np.testing.assert_allclose(out[0, :, 0, 0], [(30 - 1) * 0.5, (20 - 2) * 0.25, (10 - 3) * 2])
        only_mean = p.to_train(rt, "bgr", "rgb", 4, 6, norm="data_mean", mean=[5])
        np.testing.assert_allclose(only_mean[0, :, 0, 0], [25, 15, 5])

    def test_errors(self):
        rt = p.to_input_rt(flat(1, 2, 3), "y", 4, 6)
        with self.assertRaises(ValueError):
            p.to_train(rt, "y", "rgb", 4, 6)
        with self.assertRaises(ValueError):
            p.to_train(rt[:-1], "y", "gray", 4, 6)
        with self.assertRaises(ValueError):
            p.to_input_rt(flat(1, 2, 3, 3, 6), "nv12", 3, 6)


if __name__ == "__main__":
    unittest.main()
