#include "wathiq/core/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace wathiq {

Status WriteFileAtomically(const std::string& path, ByteView data, WriteMode mode, unsigned mode_bits) {
  if (path.empty()) return Fail(Errc::kInvalidArgument, "empty path");
  auto slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.empty()) return Fail(Errc::kInvalidArgument, "path names a directory: " + path);
  std::string tmp = dir + "/." + base + ".tmp-XXXXXX";
  int fd = mkstemp(tmp.data());
  if (fd < 0) return Fail(Errc::kIo, "cannot create a temporary file in " + dir + ": " + std::strerror(errno));
  auto fail = [&](std::string what) -> Status {
    int e = errno;
    if (fd >= 0) close(fd);
    unlink(tmp.c_str());
    return Fail(Errc::kIo, what + " " + path + ": " + std::strerror(e));
  };
  if (fchmod(fd, static_cast<mode_t>(mode_bits)) != 0) return fail("cannot set permissions on");
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write");
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) return fail("cannot fsync");
  if (close(fd) != 0) {
    fd = -1;
    return fail("cannot close");
  }
  fd = -1;
  if (mode == WriteMode::kReplace) {
    if (rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename into place");
  } else {
    // link() fails atomically with EEXIST, so an existing key is never replaced by accident.
    if (link(tmp.c_str(), path.c_str()) != 0) {
      int e = errno;
      unlink(tmp.c_str());
      if (e == EEXIST) return Fail(Errc::kState, path + " already exists; refusing to replace it");
      return Fail(Errc::kIo, "cannot create " + path + ": " + std::strerror(e));
    }
    unlink(tmp.c_str());
  }
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    int rc = fsync(dfd);
    int e = errno;
    close(dfd);
    if (rc != 0) return Fail(Errc::kIo, "cannot fsync directory " + dir + ": " + std::strerror(e));
  } else {
    return Fail(Errc::kIo, "cannot open directory " + dir + " to fsync it: " + std::strerror(errno));
  }
  return Ok();
}

Result<Bytes> ReadFileBytes(const std::string& path, size_t max_size) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return Fail(e == ENOENT ? Errc::kNotFound : Errc::kIo, "cannot open " + path + ": " + std::strerror(e));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Fail(Errc::kIo, path + " is not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > max_size) {
    close(fd);
    return Fail(Errc::kLimit, path + " is larger than " + std::to_string(max_size) + " bytes");
  }
  Bytes out(static_cast<size_t>(st.st_size));
  size_t off = 0;
  while (off < out.size()) {
    ssize_t n = read(fd, out.data() + off, out.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      close(fd);
      return Fail(Errc::kIo, "cannot read " + path + ": " + std::strerror(e));
    }
    off += static_cast<size_t>(n);
  }
  close(fd);
  return out;
}

}  // namespace wathiq
