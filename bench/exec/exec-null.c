/* exec-null.c: the cheapest exec co-process: reads request lines and replies {} to each, so a bench measures the exec stage's own cost. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

int
main (void)
{
  static char buf[1 << 16];
  ssize_t n;

  /* one reply per newline read; the requests' bytes are not looked at */
  while ((n = read (STDIN_FILENO, buf, sizeof buf)) != 0)
    {
      char *p = buf, *end;
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return 1;
        }
      end = buf + n;
      while ((p = memchr (p, '\n', end - p)) != NULL)
        {
          if (write (STDOUT_FILENO, "{}\n", 3) != 3)
            return 1;
          p++;
        }
    }
  return 0;
}
