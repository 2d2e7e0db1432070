# What `cmake --install build [--prefix DIR]` puts where (DIR defaults to /usr/local):
#   bin/rmbg
#   lib/rmbg/libonnxruntime.so.1          the ONNX Runtime rmbg was built with (RUNPATH $ORIGIN/..)
#   lib/rmbg/librmbg-video.so             FFmpeg's and OpenCV's part, loaded only to cut a video
#   share/rmbg/models/                    the default model and the face detector, from the cache
#   share/doc/rmbg/                       licence notices: ONNX Runtime's, the models'
#   share/man/man1/rmbg*.1                made by help2man from the --help texts
#   share/bash-completion/completions/rmbg, share/zsh/.../_rmbg
# scripts/package-deb makes a Debian package of the same files, with a systemd unit.

install(TARGETS rmbg RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(TARGETS rmbg-video LIBRARY DESTINATION "${RMBG_INSTALL_LIBDIR}")

# ONNX Runtime from the cache goes with rmbg; one installed on the system stays the system's.
get_filename_component(ort_root "${RMBG_ORT_ROOT}" REALPATH)
get_filename_component(ort_file "${ORT_LIBRARY}" REALPATH)
string(FIND "${ort_file}" "${ort_root}/" ort_in_cache)
if(ort_in_cache EQUAL 0)
  install(FILES "${ort_file}" DESTINATION "${RMBG_INSTALL_LIBDIR}")
  install(FILES "${RMBG_ORT_ROOT}/LICENSE" "${RMBG_ORT_ROOT}/ThirdPartyNotices.txt"
          DESTINATION "${CMAKE_INSTALL_DOCDIR}/onnxruntime")
endif()

# --- models: copied from the cache, so that the install runs with no cache and no network --------
# By default the cache scripts/bootstrap filled: the one ONNX Runtime came from.
get_filename_component(bootstrap_cache "${RMBG_ORT_ROOT}" DIRECTORY)
set(RMBG_MODEL_CACHE "${bootstrap_cache}" CACHE PATH "The cache that cmake --install copies models from")
string(JSON default_model GET "${RMBG_MANIFEST_JSON}" default)
string(JSON face_detector GET "${RMBG_MANIFEST_JSON}" face_detector)
set(RMBG_INSTALL_MODELS "${default_model};${face_detector}" CACHE STRING
    "Models (names from models/manifest.json) that cmake --install copies from the cache")

string(JSON model_count LENGTH "${RMBG_MANIFEST_JSON}" models)
math(EXPR last_model "${model_count} - 1")
set(model_files "")
set(model_notice "Models installed with rmbg, as its manifest (models/manifest.json) describes them:\n\n")
foreach(name IN LISTS RMBG_INSTALL_MODELS)
  set(found FALSE)
  foreach(i RANGE ${last_model})
    string(JSON entry_name GET "${RMBG_MANIFEST_JSON}" models ${i} name)
    if(entry_name STREQUAL name)
      string(JSON file GET "${RMBG_MANIFEST_JSON}" models ${i} file)
      string(JSON description GET "${RMBG_MANIFEST_JSON}" models ${i} description)
      string(JSON licence GET "${RMBG_MANIFEST_JSON}" models ${i} licence)
      list(APPEND model_files "${RMBG_MODEL_CACHE}/models/${file}")
      string(APPEND model_notice "${file}: ${description}.\n  Licence: ${licence}.\n")
      set(found TRUE)
    endif()
  endforeach()
  if(NOT found)
    message(FATAL_ERROR "RMBG_INSTALL_MODELS: no model '${name}' in models/manifest.json")
  endif()
endforeach()
string(APPEND model_notice "\nrmbg reads a model from its cache when it is there ($RMBG_CACHE/models, else "
       "~/.cache/rmbg/models), else from share/rmbg/models.\n")
file(WRITE "${CMAKE_BINARY_DIR}/install/MODELS" "${model_notice}")
install(CODE "
  foreach(model IN ITEMS ${model_files})
    if(NOT EXISTS \"\${model}\")
      message(FATAL_ERROR \"\${model} is not there to install: run scripts/bootstrap first\")
    endif()
  endforeach()")
install(FILES ${model_files} DESTINATION "${RMBG_INSTALL_MODELSDIR}")
install(FILES "${CMAKE_BINARY_DIR}/install/MODELS" DESTINATION "${CMAKE_INSTALL_DOCDIR}")

# --- man pages, made from the --help texts ------------------------------------------------------
find_program(HELP2MAN help2man REQUIRED)
add_custom_command(
  OUTPUT "${CMAKE_BINARY_DIR}/man/rmbg.1"
  COMMAND "${CMAKE_COMMAND}" "-DRMBG=$<TARGET_FILE:rmbg>" "-DHELP2MAN=${HELP2MAN}"
          "-DVERSION=${PROJECT_VERSION}" "-DOUTPUT_DIR=${CMAKE_BINARY_DIR}/man"
          -P "${CMAKE_SOURCE_DIR}/cmake/man_pages.cmake"
  DEPENDS rmbg "${CMAKE_SOURCE_DIR}/cmake/man_pages.cmake"
  COMMENT "Making the man pages from the --help texts"
  VERBATIM)
add_custom_target(man_pages ALL DEPENDS "${CMAKE_BINARY_DIR}/man/rmbg.1")
install(DIRECTORY "${CMAKE_BINARY_DIR}/man/" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1"
        FILES_MATCHING PATTERN "*.1")

# --- shell completion -------------------------------------------------------------------------
install(FILES "${CMAKE_SOURCE_DIR}/packaging/completion/rmbg.bash"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions" RENAME rmbg)
# zsh on Debian reads /usr/share/zsh/vendor-completions, and site-functions under /usr/local; the
# prefix is known only when installing (cmake --install --prefix).
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(zsh_dir vendor-completions)
  else()
    set(zsh_dir site-functions)
  endif()
  file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/zsh/\${zsh_dir}\"
       TYPE FILE FILES \"${CMAKE_SOURCE_DIR}/packaging/completion/_rmbg\")")
