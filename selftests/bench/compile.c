// SPDX-License-Identifier: GPL-2.0
/*
 * A real program: g++ compiling a large C++ translation unit under the
 * allocator in LD_PRELOAD (inherited).  Reports the wall time and the
 * compiler's peak RSS as a "program" result, beside program.c's.  The
 * unit is generated: N functions each instantiating standard containers
 * and algorithms over distinct types.
 * Usage: compile N
 */
#include "bench.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200, ret;
	char src[] = "/tmp/resmap-bench-XXXXXX.cc";
	char *gxx[] = { "g++", "-std=c++17", "-O1", "-c", src, "-o",
			"/dev/null", NULL };
	char cas[32];
	double seconds;
	long maxrss;
	FILE *f;
	int fd = mkstemps(src, 3);

	if (fd < 0 || !(f = fdopen(fd, "w")))
		return 1;
	fprintf(f, "#include <algorithm>\n#include <map>\n#include <string>\n"
		   "#include <unordered_map>\n#include <vector>\n#include <tuple>\n"
		   "#include <sstream>\n");
	for (int i = 0; i < n; i++) {
		fprintf(f, "struct T%d { int a; double b; std::string s; bool operator<(const T%d &o) const { return a < o.a; } };\n", i, i);
		fprintf(f, "std::string f%d(int k) {\n"
			   "  std::map<T%d, std::vector<std::tuple<int, T%d>>> m;\n"
			   "  std::unordered_map<std::string, T%d> u;\n"
			   "  std::vector<T%d> v(k);\n"
			   "  for (int i = 0; i < k; i++) { T%d t{i, i * 0.5, std::to_string(i)}; m[t].emplace_back(i, t); u[t.s] = t; v[i] = t; }\n"
			   "  std::sort(v.begin(), v.end());\n"
			   "  std::ostringstream os; for (auto &e : m) os << e.first.s << e.second.size();\n"
			   "  return os.str() + std::to_string(u.size());\n}\n",
			i, i, i, i, i, i);
	}
	fclose(f);
	ret = bench_spawn(gxx, &seconds, &maxrss);
	unlink(src);
	if (ret)
		return 1;
	snprintf(cas, sizeof(cas), "gxx-%d-functions", n);
	bench_result("program", cas, "seconds=%.3f maxrss_mib=%.1f", seconds,
		     maxrss / 1024.0);
	return 0;
}
