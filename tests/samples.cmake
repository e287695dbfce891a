# The samples (samples/) end to end, on the host and under qemu: each sample binary runs on
# prepared models and tests/samples/sample_check.py (host python3 + numpy) compares what it
# printed or wrote with ONNX Runtime's outputs. Included from tests/CMakeLists.txt.
set(EDGERT_SAMPLE_IMAGE /usr/share/doc/opencv-doc/examples/data/baboon.jpg)
set(_check /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/samples/sample_check.py)
set(_emu)
if(CMAKE_CROSSCOMPILING)
  set(_emu ${CMAKE_CROSSCOMPILING_EMULATOR})
endif()
set(_cls ${_emu} $<TARGET_FILE:classification_sample>)
set(_fm ${_emu} $<TARGET_FILE:featuremap_sample>)
set(_out ${CMAKE_CURRENT_BINARY_DIR}/samples_out)
set(_m ${EDGERT_MODELS_DIR})

# The padded case compiles its model with the host compiler; the cross build borrows the host
# preset's (scripts/test.sh builds host first) and skips the case without it.
if(TARGET model_compiler)
  set(_compiler $<TARGET_FILE:model_compiler>)
else()
  set(EDGERT_HOST_MODEL_COMPILER ${EDGERT_HOST_BUILD_DIR}/apps/model_compiler CACHE
      FILEPATH "Host model_compiler for test data the cross build cannot make itself")
  set(_compiler ${EDGERT_HOST_MODEL_COMPILER})
endif()

if(EXISTS /usr/bin/python3)
  # NV12 camera model on a real JPEG; ORT ran the float ONNX on the reference preprocessing of
  # the same JPEG (scripts/prepare_models.sh).
  add_test(NAME samples_classification_nv12
           COMMAND ${_check} classification --ref ${_m}/mobilenet_v2_tiny_nv12.ort/output.bin
                   --top 5 -- ${_cls} ${_m}/mobilenet_v2_tiny_nv12.bin ${EDGERT_SAMPLE_IMAGE}
                   --top 5)
  # Featuremaps: float (no input padding, default alignment), int8 (ORT on the compiler's QDQ
  # export; the 1x10 output's 40-byte rows are padded to 48), and a model compiled with
  # 128-byte rows so the input and every output carry padding.
  add_test(NAME samples_featuremap_resnet18_tiny
           COMMAND ${_check} featuremap --ort-dir ${_m}/resnet18_tiny.ort
                   --out-dir ${_out}/resnet18_tiny --
                   ${_fm} ${_m}/resnet18_tiny.bin ${_m}/resnet18_tiny.input.bin
                   ${_out}/resnet18_tiny)
  add_test(NAME samples_featuremap_digits_int8
           COMMAND ${_check} featuremap --ort-dir ${_m}/digits_int8.ort
                   --out-dir ${_out}/digits_int8 --min-cosine 0.999 --max-abs 0.1 --
                   ${_fm} ${_m}/digits_int8.bin ${_m}/digits_int8.input.bin ${_out}/digits_int8)
  add_test(NAME samples_featuremap_padded
           COMMAND ${_check} featuremap --ort-dir ${_m}/dethead_tiny.ort
                   --out-dir ${_out}/dethead_tiny_pad128 --expect-padding
                   --compile ${_compiler} ${CMAKE_CURRENT_SOURCE_DIR}/samples/featuremap_pad128.yaml
                   ${_m}/dethead_tiny.onnx ${_out}/dethead_tiny_pad128.bin --
                   ${_fm} ${_out}/dethead_tiny_pad128.bin ${_m}/dethead_tiny.input.bin
                   ${_out}/dethead_tiny_pad128)
  set_tests_properties(samples_featuremap_padded PROPERTIES SKIP_RETURN_CODE 77)

  # Usage errors exit 2; failures exit 1 and name the file or tensor at fault.
  add_test(NAME samples_classification_usage COMMAND ${_check} exit --code 2 --stderr usage --
                                                     ${_cls} ${_m}/mobilenet_v2_tiny_nv12.bin)
  add_test(NAME samples_featuremap_usage COMMAND ${_check} exit --code 2 --stderr usage --
                                                 ${_fm} a.bin b.bin)
  add_test(NAME samples_classification_missing_model
           COMMAND ${_check} exit --code 1 --stderr /nonexistent/model.bin --
                   ${_cls} /nonexistent/model.bin ${EDGERT_SAMPLE_IMAGE})
  add_test(NAME samples_featuremap_missing_model
           COMMAND ${_check} exit --code 1 --stderr /nonexistent/model.bin --
                   ${_fm} /nonexistent/model.bin ${_m}/resnet18_tiny.input.bin ${_out})
  add_test(NAME samples_classification_missing_image
           COMMAND ${_check} exit --code 1 --stderr /nonexistent/image.jpg --
                   ${_cls} ${_m}/mobilenet_v2_tiny_nv12.bin /nonexistent/image.jpg)
  add_test(NAME samples_classification_featuremap_model
           COMMAND ${_check} exit --code 1 --stderr "input 'input' is F32" --
                   ${_cls} ${_m}/resnet18_tiny.bin ${EDGERT_SAMPLE_IMAGE})
  add_test(NAME samples_featuremap_wrong_input_size
           COMMAND ${_check} exit --code 1 --stderr ${_m}/dethead_tiny.input.bin --
                   ${_fm} ${_m}/resnet18_tiny.bin ${_m}/dethead_tiny.input.bin ${_out})
endif()
