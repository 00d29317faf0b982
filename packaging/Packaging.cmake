# The Debian package: `cmake --build build --target package` writes atelier_VERSION_ARCH.deb into build/.
# Desktop integration (launcher, AppStream metainfo, hicolor icons) and the man pages are made here.

find_program(ATELIER_HELP2MAN help2man)
find_program(ATELIER_RSVG_CONVERT rsvg-convert)
find_program(ATELIER_GZIP gzip)
if(NOT ATELIER_HELP2MAN OR NOT ATELIER_RSVG_CONVERT OR NOT ATELIER_GZIP)
  message(FATAL_ERROR "help2man, rsvg-convert (librsvg2-bin) and gzip make the man pages and icons: "
                      "run packaging/install-deps.sh")
endif()

set(_linux ${CMAKE_CURRENT_LIST_DIR}/linux)
set(_out ${PROJECT_BINARY_DIR}/packaging)
set(_app_id org.atelier.Atelier)

install(FILES ${_linux}/${_app_id}.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
configure_file(${_linux}/${_app_id}.metainfo.xml ${_out}/${_app_id}.metainfo.xml @ONLY)
install(FILES ${_out}/${_app_id}.metainfo.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)

# Icons: the SVG is the one source; the PNG sizes are rendered from it so they never drift apart.
set(_icon_svg ${_linux}/atelier.svg)
install(FILES ${_icon_svg} DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps RENAME ${_app_id}.svg)
set(_icons)
foreach(size 16 22 24 32 48 64 128 256 512)
  set(_png ${_out}/icons/${size}x${size}/${_app_id}.png)
  add_custom_command(OUTPUT ${_png}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_out}/icons/${size}x${size}
    COMMAND ${ATELIER_RSVG_CONVERT} --width ${size} --height ${size} --output ${_png} ${_icon_svg}
    DEPENDS ${_icon_svg} VERBATIM)
  install(FILES ${_png} DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps)
  list(APPEND _icons ${_png})
endforeach()
add_custom_target(atelier_icons ALL DEPENDS ${_icons})

# atelier_man_page(TARGET SUMMARY [ENV...]): TARGET.1.gz made by help2man from TARGET's --help and --version.
function(atelier_man_page target summary)
  set(page ${_out}/${target}.1)
  add_custom_command(OUTPUT ${page}.gz
    COMMAND ${CMAKE_COMMAND} -E env ${ARGN} ${ATELIER_HELP2MAN} --no-info --no-discard-stderr
            --name ${summary} --output ${page} $<TARGET_FILE:${target}>
    COMMAND ${ATELIER_GZIP} -9nf ${page}
    DEPENDS ${target} VERBATIM)
  add_custom_target(${target}_man_page ALL DEPENDS ${page}.gz)
  install(FILES ${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endfunction()

atelier_man_page(atelier-cli "Stable Diffusion from the command line")
if(ATELIER_BUILD_STUDIO)
  # The studio parses --help after creating its QGuiApplication: no display is needed for that.
  atelier_man_page(atelier "a Stable Diffusion studio" QT_QPA_PLATFORM=offscreen)
endif()

# Placeholders until the owners name the project's maintainer and home page.
set(ATELIER_PACKAGE_MAINTAINER "Atelier maintainers <atelier@example.org>" CACHE STRING
    "The Maintainer field of the Debian package")
set(ATELIER_PACKAGE_HOMEPAGE "https://example.org/atelier" CACHE STRING "The Homepage field of the Debian package")

# Debian's documentation files: the copyright statement and a native package's changelog.
configure_file(${_linux}/changelog.in ${_out}/changelog @ONLY)
add_custom_command(OUTPUT ${_out}/changelog.gz
  COMMAND ${ATELIER_GZIP} -9nkf ${_out}/changelog
  DEPENDS ${_out}/changelog VERBATIM)
add_custom_target(atelier_changelog ALL DEPENDS ${_out}/changelog.gz)
install(FILES ${_linux}/copyright ${_out}/changelog.gz DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/atelier)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME atelier)
set(CPACK_PACKAGE_VENDOR Atelier)
set(CPACK_PACKAGE_CONTACT ${ATELIER_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_INSTALL_DIRECTORY /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION graphics)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# CPack indents the lines after the summary itself.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "Stable Diffusion studio and command-line tool
Atelier makes pictures with Stable Diffusion models (SD 1.x, SD 2.x, SDXL) on
your own machine: text to image, image to image, inpainting, LoRAs,
embeddings, upscalers and a gallery of PNGs that keep their generation
parameters. atelier is the Qt Quick studio; atelier-cli does the same from the
command line and serves AUTOMATIC1111's HTTP API.")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${ATELIER_PACKAGE_HOMEPAGE})
# The libraries' packages come from dpkg-shlibdeps; the QML modules the studio imports are no ELF dependency.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# LibTorch's matmuls go through the system BLAS: without OpenBLAS the reference BLAS is ~30x slower.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-pthread")
if(ATELIER_BUILD_STUDIO)
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS
      ", qml6-module-qtquick, qml6-module-qtquick-controls, qml6-module-qtquick-layouts, \
qml6-module-qtquick-dialogs, qml6-module-qtquick-templates, qml6-module-qtquick-window, \
qml6-module-qtqml-workerscript, qml6-module-qtquick-shapes, qml6-module-qt-labs-settings, \
qml6-module-qt-labs-folderlistmodel, qml6-module-qtcore")
endif()
include(CPack)
