# Install rules: `cmake --install build --prefix P` puts in P
#   include/cnn/**                     the engine's public headers
#   lib/libcnn.a                       the engine library (target cnn_lib)
#   lib/cmake/cnn/                     the CMake package: find_package(cnn) -> cnn::cnn
#   lib/pkgconfig/cnn.pc               the pkg-config file (static library: use --static)
# (lib is CMAKE_INSTALL_LIBDIR, e.g. lib/x86_64-linux-gnu under /usr.)
# The command-line program and the application library are not installed.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CNN_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/cnn")

# Programs that use the installed headers compile as C++20 (designated initializers,
# std::span): the requirement travels with cnn::cnn.
target_compile_features(cnn_lib PUBLIC cxx_std_20)

# The engine's headers: not those of the application library (train, lab, bench, plot),
# which is not installed.
install(DIRECTORY include/cnn DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        FILES_MATCHING PATTERN "*.h"
        PATTERN train EXCLUDE PATTERN lab EXCLUDE PATTERN bench EXCLUDE PATTERN plot EXCLUDE)
install(TARGETS cnn_lib EXPORT cnnTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(EXPORT cnnTargets NAMESPACE cnn:: FILE cnnTargets.cmake
        DESTINATION "${CNN_INSTALL_CMAKEDIR}")

configure_package_config_file(cmake/cnnConfig.cmake.in
  "${PROJECT_BINARY_DIR}/cnnConfig.cmake" INSTALL_DESTINATION "${CNN_INSTALL_CMAKEDIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/cnnConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/cnnConfig.cmake" "${PROJECT_BINARY_DIR}/cnnConfigVersion.cmake"
        DESTINATION "${CNN_INSTALL_CMAKEDIR}")

# pkg-config. The library is static, so what it links privately is listed for `--static`:
# packages that have a .pc file in Requires.private, the others (ONNX) in Libs.private.
set(CNN_PC_REQUIRES_PRIVATE "protobuf zlib libpng libjpeg mpi-c")
set(CNN_PC_LIBS_PRIVATE "-lonnx -lonnx_proto")
# The prefix is found from the .pc file's own place (pkg-config's ${pcfiledir}), so the file
# is right for whatever `cmake --install --prefix` chooses.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(CNN_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(CNN_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH CNN_PC_UP "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" CNN_PC_UP "${CNN_PC_UP}")
  set(CNN_PC_PREFIX "\${pcfiledir}/${CNN_PC_UP}")
  set(CNN_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
configure_file(cmake/cnn.pc.in "${PROJECT_BINARY_DIR}/cnn.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/cnn.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
