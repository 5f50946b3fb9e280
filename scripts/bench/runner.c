// The benchmarks' hands: started once by bench/lib.mjs, it pins threads and runs the C baselines,
// so that the Node process being measured never forks between its blocks of calls. A fork marks
// every writable page of the forking process copy-on-write; each page written afterwards takes a
// fault, here 10 µs or more apiece in a VM. A Node process that spawned `taskset` and a baseline
// before each block paid that on every buffer its dumps then filled: 110 faults, 1.3 ms more on a
// 0.7 ms dump of 10,000 entries.
// Reads one command per line on stdin, answers one line on stdout:
//   pin TID CPULIST   → "ok": thread TID and this process (so the baselines it starts) on CPULIST
//   run PATH ARG…     → the first line the program printed ("error …" if it failed)
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cpus.h"

static void pin(char* args) {
  char* tid = strtok(args, " ");
  char* cpus = strtok(NULL, " ");
  cpu_set_t set;
  if (!tid || !cpus || parse_cpus(cpus, &set) != 0) {
    printf("error: pin TID CPULIST\n");
    return;
  }
  if (sched_setaffinity(atoi(tid), sizeof(set), &set) != 0 || sched_setaffinity(0, sizeof(set), &set) != 0) {
    printf("error: sched_setaffinity\n");
    return;
  }
  printf("ok\n");
}

static void run(char* args) {
  char* argv[64];
  int argc = 0;
  for (char* a = strtok(args, " "); a && argc < 63; a = strtok(NULL, " ")) argv[argc++] = a;
  argv[argc] = NULL;
  int out[2];
  if (argc == 0 || pipe(out) != 0) {
    printf("error: run PATH ARG...\n");
    return;
  }
  pid_t child = fork();
  if (child == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(out[1]);
  char line[4096] = "";
  FILE* from = fdopen(out[0], "r");
  if (!fgets(line, sizeof(line), from)) line[0] = '\0';
  while (fgetc(from) != EOF) {  // drain the rest, so the child never blocks on a full pipe
  }
  fclose(from);
  int status = 0;
  waitpid(child, &status, 0);
  line[strcspn(line, "\n")] = '\0';
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) printf("error: %s exited with %d\n", argv[0], status);
  else printf("%s\n", line);
}

int main(void) {
  char line[8192];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof(line), stdin)) {
    line[strcspn(line, "\n")] = '\0';
    if (strncmp(line, "pin ", 4) == 0) pin(line + 4);
    else if (strncmp(line, "run ", 4) == 0) run(line + 4);
    else printf("error: unknown command\n");
  }
  return 0;
}
