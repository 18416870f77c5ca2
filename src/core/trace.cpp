#include "cnn/trace.h"

#include "cnn/error.h"

namespace cnn::trace {

namespace detail {
thread_local constinit Tracer* current_tracer = nullptr;
}

namespace {

const Attr::Value& find_attr(const OpCall& call, const std::string& name) {
  for (const Attr& a : call.attrs)
    if (a.name == name) return a.value;
  fail("trace: op '", call.op, "' has no attribute '", name, "'");
}

template <class T>
const T& attr_as(const OpCall& call, const std::string& name, const char* kind) {
  const Attr::Value& v = find_attr(call, name);
  const T* p = std::get_if<T>(&v);
  CNN_CHECK(p != nullptr, "trace: attribute '", name, "' of op '", call.op, "' is not ", kind);
  return *p;
}

}  // namespace

int64_t OpCall::int_attr(const std::string& name) const {
  return attr_as<int64_t>(*this, name, "an integer");
}

double OpCall::float_attr(const std::string& name) const {
  const Attr::Value& v = find_attr(*this, name);
  if (const int64_t* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return attr_as<double>(*this, name, "a number");
}

const std::vector<int64_t>& OpCall::ints_attr(const std::string& name) const {
  return attr_as<std::vector<int64_t>>(*this, name, "a list of integers");
}

const std::string& OpCall::string_attr(const std::string& name) const {
  return attr_as<std::string>(*this, name, "a string");
}

bool OpCall::has_attr(const std::string& name) const {
  for (const Attr& a : attrs)
    if (a.name == name) return true;
  return false;
}

TraceOps::TraceOps(Tracer& tracer) : previous_(detail::current_tracer) {
  detail::current_tracer = &tracer;
}

TraceOps::~TraceOps() {
  detail::current_tracer = previous_;
}

void report(const char* op, std::vector<Tensor> inputs, std::vector<Tensor> outputs, Attrs attrs) {
  Tracer* tracer = detail::current_tracer;
  if (tracer == nullptr) return;
  // Suspended while the tracer runs, restored even when it throws.
  struct Suspend {
    Tracer* tracer;
    ~Suspend() { detail::current_tracer = tracer; }
  } suspend{tracer};
  detail::current_tracer = nullptr;
  tracer->record(OpCall{op, std::move(inputs), std::move(outputs), std::move(attrs)});
}

}  // namespace cnn::trace
