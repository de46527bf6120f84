/* fuzz-replay.c: feeds every file of a corpus directory to a fuzz target's LLVMFuzzerTestOneInput,
 * so the corpus runs as a normal test in every build (including ASan/UBSan) without libFuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int
replay_file (const char *path)
{
  FILE *file = fopen (path, "rb");
  uint8_t *data = NULL;
  size_t size = 0;
  size_t capacity = 0;
  size_t n;

  if (file == NULL)
    {
      perror (path);
      return -1;
    }
  do
    {
      if (size == capacity)
        {
          uint8_t *grown;

          capacity = capacity ? capacity * 2 : 4096;
          grown = realloc (data, capacity);
          if (grown == NULL)
            {
              free (data);
              fclose (file);
              return -1;
            }
          data = grown;
        }
      n = fread (data + size, 1, capacity - size, file);
      size += n;
    }
  while (n > 0);
  fclose (file);
  LLVMFuzzerTestOneInput (data, size);
  free (data);
  return 0;
}

int
main (int argc, char *argv[])
{
  DIR *dir;
  struct dirent *entry;
  int files = 0;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s CORPUS-DIR\n", argv[0]);
      return 2;
    }
  dir = opendir (argv[1]);
  if (dir == NULL)
    {
      perror (argv[1]);
      return 1;
    }
  while ((entry = readdir (dir)) != NULL)
    {
      char path[4096];

      if (entry->d_name[0] == '.')
        continue;
      snprintf (path, sizeof path, "%s/%s", argv[1], entry->d_name);
      if (replay_file (path) != 0)
        {
          closedir (dir);
          return 1;
        }
      files++;
    }
  closedir (dir);
  printf ("replayed %d inputs from %s\n", files, argv[1]);
  /* An empty corpus would make this test pass while checking nothing. */
  return files > 0 ? 0 : 1;
}
