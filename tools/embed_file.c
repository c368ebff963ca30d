/* embed_file.c: turns a file into a C source defining
 *   const unsigned char NAME[]; const size_t NAME_len;
 * so the binary carries its assets (the bundled example, later the web UI). */
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: embed_file INPUT OUTPUT.c SYMBOL\n");
    return 2;
  }
  FILE *in = fopen(argv[1], "rb");
  if (!in) {
    perror(argv[1]);
    return 1;
  }
  FILE *out = fopen(argv[2], "w");
  if (!out) {
    perror(argv[2]);
    return 1;
  }
  fprintf(out, "#include <stddef.h>\nconst unsigned char %s[] = {\n", argv[3]);
  int c;
  size_t n = 0;
  while ((c = fgetc(in)) != EOF) fprintf(out, "%d,%s", c, (++n % 24) ? "" : "\n");
  fprintf(out, "0};\nconst size_t %s_len = %zu;\n", argv[3], n);
  fclose(in);
  return fclose(out) == 0 ? 0 : 1;
}
