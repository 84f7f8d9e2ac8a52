# Turns the page template of `weft view` into C arrays (see
# tools/view_assets.h).  Run as
#   cmake -DDIR=<tools/view> -DOUT=<view_assets.c> -P embed.cmake
set(_c "/* Generated from tools/view/ by embed.cmake: do not edit. */\n")
string(APPEND _c "#include \"view_assets.h\"\n")
foreach(_name html css js)
  file(READ "${DIR}/page.${_name}" _hex HEX)
  string(LENGTH "${_hex}" _len)
  math(EXPR _len "${_len} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _bytes "${_hex}")
  # 16 bytes a line
  string(REGEX REPLACE "((0x..,){16})" "\\1\n" _bytes "${_bytes}")
  string(APPEND _c "const unsigned char weft__view_${_name}[] = {\n"
                   "${_bytes}0x00};\n"
                   "const size_t weft__view_${_name}_len = ${_len};\n")
endforeach()
file(WRITE "${OUT}.tmp" "${_c}")
file(RENAME "${OUT}.tmp" "${OUT}")
