/*
 * A step's ssh agent client for the tests: asks the agent at $SSH_AUTH_SOCK for its identities
 * (SSH2_AGENTC_REQUEST_IDENTITIES) and prints how many it holds. Built static, so that it runs in
 * a busybox image, which has no ssh client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(void) {
  const char *path = getenv("SSH_AUTH_SOCK");
  if (path == NULL) {
    fprintf(stderr, "no SSH_AUTH_SOCK\n");
    return 2;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    perror("connect");
    return 3;
  }
  unsigned char request[5] = {0, 0, 0, 1, 11};
  if (write(fd, request, sizeof request) != sizeof request) {
    perror("write");
    return 4;
  }
  unsigned char head[9];
  size_t got = 0;
  while (got < sizeof head) {
    ssize_t n = read(fd, head + got, sizeof head - got);
    if (n <= 0) {
      fprintf(stderr, "the agent's answer ended early\n");
      return 5;
    }
    got += (size_t)n;
  }
  if (head[4] != 12) {
    fprintf(stderr, "unexpected answer type %d\n", head[4]);
    return 6;
  }
  unsigned count = ((unsigned)head[5] << 24) | ((unsigned)head[6] << 16) |
                   ((unsigned)head[7] << 8) | head[8];
  printf("agent-identities=%u\n", count);
  return 0;
}
