/*
 * remove_dir.h - the MPI tests clear the journal directories they make
 * (a directory of plain files, no subdirectories) between scenarios.
 */
#ifndef WEFT_TEST_REMOVE_DIR_H
#define WEFT_TEST_REMOVE_DIR_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Remove dir and the files in it, if it is there. */
static inline void remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *e;
  char file[8192];
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
      unlink(file);
    }
  closedir(d);
  rmdir(dir);
}

#endif /* WEFT_TEST_REMOVE_DIR_H */
