# Makes rmbg.1 and one page per command (rmbg-serve.1, ...) with help2man from the --help texts,
# so that the pages say what the program says. Run by the build:
#   cmake -DRMBG=build/rmbg -DHELP2MAN=help2man -DVERSION=0.1.0 -DOUTPUT_DIR=build/man -P man_pages.cmake
execute_process(COMMAND "${RMBG}" --help OUTPUT_VARIABLE help COMMAND_ERROR_IS_FATAL ANY)

# The commands and what each does, from the "Subcommands:" list of `rmbg --help`.
string(REGEX REPLACE ".*\nSubcommands:\n" "" command_lines "${help}")
string(REPLACE "\n" ";" command_lines "${command_lines}")
set(commands "")
set(see_also "")
file(MAKE_DIRECTORY "${OUTPUT_DIR}")
foreach(line IN LISTS command_lines)
  if(NOT line MATCHES "^  ([a-z]+) +(.+)$")
    continue()
  endif()
  set(command "${CMAKE_MATCH_1}")
  string(SUBSTRING "${CMAKE_MATCH_2}" 0 1 first)
  string(SUBSTRING "${CMAKE_MATCH_2}" 1 -1 rest)
  string(TOLOWER "${first}" first)
  list(APPEND commands "${command}")
  list(APPEND see_also ".BR rmbg-${command} (1)")
  set(page "${OUTPUT_DIR}/rmbg-${command}.1")
  execute_process(
    COMMAND "${HELP2MAN}" --no-info "--version-string=${VERSION}" "--help-option=${command} --help"
            "--name=${first}${rest}" "--output=${page}" "${RMBG}"
    COMMAND_ERROR_IS_FATAL ANY)
  # help2man names the page after the program it ran: name it after the command.
  string(TOUPPER "rmbg-${command}" title)
  file(READ "${page}" text)
  string(REPLACE ".TH RMBG " ".TH ${title} " text "${text}")
  string(REPLACE "\nrmbg \\- " "\nrmbg-${command} \\- " text "${text}")
  file(WRITE "${page}" "${text}")
endforeach()
if(NOT commands)
  message(FATAL_ERROR "no commands found in `${RMBG} --help`")
endif()

list(JOIN see_also ",\n" see_also)
file(WRITE "${OUTPUT_DIR}/see-also.h2m" "[SEE ALSO]\n${see_also}\n")
execute_process(
  COMMAND "${HELP2MAN}" --no-info "--version-string=${VERSION}" "--include=${OUTPUT_DIR}/see-also.h2m"
          "--name=removes the background from photographs" "--output=${OUTPUT_DIR}/rmbg.1" "${RMBG}"
  COMMAND_ERROR_IS_FATAL ANY)
