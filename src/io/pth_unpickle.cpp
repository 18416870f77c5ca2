#include "io/pth_unpickle.h"

#include <bit>
#include <cstring>
#include <unordered_map>

#include "cnn/error.h"

namespace cnn::io::pickle {
namespace {

// ---- values -------------------------------------------------------------------------------

struct Value;
using Ref = std::shared_ptr<Value>;

enum class Kind {
  none,
  boolean,
  integer,
  floating,
  string,
  tuple,
  list,
  dict,
  global,
  storage,
  tensor
};

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::none:
      return "None";
    case Kind::boolean:
      return "a bool";
    case Kind::integer:
      return "an int";
    case Kind::floating:
      return "a float";
    case Kind::string:
      return "a string";
    case Kind::tuple:
      return "a tuple";
    case Kind::list:
      return "a list";
    case Kind::dict:
      return "a dict";
    case Kind::global:
      return "a class or function";
    case Kind::storage:
      return "a storage";
    case Kind::tensor:
      return "a tensor";
  }
  return "?";
}

// One Python object. A container becomes immutable ("sealed") once it is placed inside another
// value: pickles fill a container before nesting it, and sealing makes cycles impossible and
// keeps `depth` exact, so destruction recursion stays within kMaxDepth.
struct Value {
  Kind kind = Kind::none;
  int64_t i = 0;                     // boolean, integer
  double f = 0;                      // floating
  std::string s;                     // string; global "module.name"
  std::vector<Ref> items;            // tuple, list; dict as key, value, key, value, ...
  std::shared_ptr<Storage> storage;  // storage
  DType dtype = DType::f32;          // storage
  int64_t numel = 0;                 // storage
  Tensor tensor;                     // tensor
  int depth = 1;
  bool sealed = false;
};

Ref new_value(Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  return v;
}

// The globals a state_dict needs; every other one is refused before anything else happens.
// Storage classes map to a dtype, or to nothing when the dtype is not supported.
struct StorageType {
  const char* name;
  const char* dtype_name;
  bool supported;
  DType dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"FloatStorage", "float32", true, DType::f32},
    {"LongStorage", "int64", true, DType::i64},
    {"DoubleStorage", "float64", false, DType::f32},
    {"HalfStorage", "float16", false, DType::f32},
    {"BFloat16Storage", "bfloat16", false, DType::f32},
    {"IntStorage", "int32", false, DType::f32},
    {"ShortStorage", "int16", false, DType::f32},
    {"CharStorage", "int8", false, DType::f32},
    {"ByteStorage", "uint8", false, DType::f32},
    {"BoolStorage", "bool", false, DType::f32},
    {"ComplexFloatStorage", "complex64", false, DType::f32},
    {"ComplexDoubleStorage", "complex128", false, DType::f32},
};
const char* const kAllowedFunctions[] = {
    "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_parameter"};

const StorageType* storage_type(const std::string& global) {
  for (const StorageType& t : kStorageTypes)
    if (global == detail::concat("torch.", t.name)) return &t;
  return nullptr;
}

// ---- the machine --------------------------------------------------------------------------

class Unpickler {
 public:
  Unpickler(std::string_view bytes, const StorageLoader& load, const std::string& where)
      : bytes_(bytes), load_(load), where_(where) {}

  StateDictPickle result() {
    StateDictPickle out;
    const Ref root = run();
    check(root->kind == Kind::dict, "the pickle holds ", kind_name(root->kind),
          ", not a state_dict (a dict of tensors)");
    std::unordered_map<std::string, size_t> seen;
    for (size_t k = 0; k < root->items.size(); k += 2) {
      const Value& key = *root->items[k];
      const Value& value = *root->items[k + 1];
      check(key.kind == Kind::string, "a state_dict key is ", kind_name(key.kind));
      check(value.kind == Kind::tensor, "'", key.s, "' holds ", kind_name(value.kind),
            ", not a tensor");
      check(seen.emplace(key.s, k).second, "key '", key.s, "' appears twice");
      out.tensors.emplace_back(key.s, value.tensor);
    }
    if (versions_owner_ == root.get()) out.versions = std::move(versions_);
    return out;
  }

 private:
  Ref run() {
    while (true) {
      const size_t at = pos_;
      const auto op = static_cast<unsigned char>(take(1)[0]);
      op_at_ = at;
      if (op == '.') break;  // STOP
      step(op);
    }
    check(stack_.size() == 1 && marks_.empty(), "STOP with ", stack_.size(),
          " values on the stack");
    return stack_.back();
  }

  template <class... Parts>
  void check(bool ok, Parts&&... parts) const {
    if (!ok) fail(where_, ": pickle byte ", op_at_, ": ", std::forward<Parts>(parts)...);
  }

  std::string_view take(size_t n) {
    check(n <= bytes_.size() - pos_, "truncated pickle (needs ", n, " more bytes, ",
          bytes_.size() - pos_, " left)");
    std::string_view out = bytes_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  uint64_t take_le(size_t n) {
    const std::string_view b = take(n);
    uint64_t v = 0;
    for (size_t k = n; k-- > 0;) v = (v << 8) | static_cast<unsigned char>(b[k]);
    return v;
  }
  std::string take_line() {
    const size_t end = bytes_.find('\n', pos_);
    check(end != std::string_view::npos && end - pos_ <= 256, "GLOBAL without a short line");
    std::string line(bytes_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return line;
  }

  Ref make(Kind kind) {
    check(++values_ <= kMaxValues, "more than ", kMaxValues, " objects (kMaxValues)");
    return new_value(kind);
  }
  void push(Ref v) {
    check(stack_.size() < kMaxStack, "more than ", kMaxStack, " values on the stack (kMaxStack)");
    stack_.push_back(std::move(v));
  }
  Ref pop() {
    check(stack_.size() > (marks_.empty() ? 0 : marks_.back()), "stack underflow");
    Ref v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  // The value on top of the stack, left there (the target of SETITEMS, APPENDS).
  Ref top() {
    check(stack_.size() > (marks_.empty() ? 0 : marks_.back()), "stack underflow");
    return stack_.back();
  }
  // The values above the last MARK, which is removed.
  std::vector<Ref> pop_mark() {
    check(!marks_.empty(), "no MARK to pop to");
    const size_t from = marks_.back();
    marks_.pop_back();
    std::vector<Ref> out(stack_.begin() + static_cast<std::ptrdiff_t>(from), stack_.end());
    stack_.resize(from);
    return out;
  }
  // Places `child` inside `parent`: seals the child first, so that placing a container inside
  // itself (or anything inside a sealed container) is refused.
  void adopt(Value& parent, const Ref& child) {
    child->sealed = true;
    check(!parent.sealed, "modifies ", kind_name(parent.kind), " already placed in another value");
    parent.depth = std::max(parent.depth, child->depth + 1);
    check(parent.depth <= kMaxDepth, "values nest deeper than ", kMaxDepth, " levels (kMaxDepth)");
    parent.items.push_back(child);
  }
  Ref tuple(const std::vector<Ref>& items) {
    Ref t = make(Kind::tuple);
    for (const Ref& item : items) adopt(*t, item);
    return t;
  }
  Ref integer(int64_t v) {
    Ref r = make(Kind::integer);
    r->i = v;
    return r;
  }
  Ref memo_get(uint64_t key) {
    auto it = memo_.find(key);
    check(it != memo_.end(), "memo key ", key, " was never stored (BINGET of a missing key)");
    return it->second;
  }
  void memo_put(uint64_t key) {
    check(!stack_.empty(), "stack underflow");
    check(memo_.size() < kMaxMemo || memo_.count(key), "more than ", kMaxMemo,
          " memo entries (kMaxMemo)");
    memo_[key] = stack_.back();
  }
  Ref string(size_t n) {
    check(n <= kMaxStringBytes, "string of ", n, " bytes exceeds the limit of ", kMaxStringBytes,
          " (kMaxStringBytes)");
    Ref s = make(Kind::string);
    s->s = std::string(take(n));
    return s;
  }
  void global(const std::string& module, const std::string& name) {
    const std::string full = detail::concat(module, ".", name);
    bool allowed = storage_type(full) != nullptr;
    for (const char* f : kAllowedFunctions) allowed = allowed || full == f;
    if (!allowed)
      fail(where_, ": refusing to load: the pickle calls ", full,
           ", which a state_dict never needs (save model.state_dict(), not the model)");
    Ref g = make(Kind::global);
    g->s = full;
    push(g);
  }
  void set_items(const Ref& dict, const std::vector<Ref>& kv) {
    check(dict->kind == Kind::dict, "SETITEM(S) on ", kind_name(dict->kind));
    check(kv.size() % 2 == 0, "SETITEMS with an odd number of values");
    for (const Ref& v : kv) adopt(*dict, v);
  }
  void append(const Ref& list, const std::vector<Ref>& items) {
    check(list->kind == Kind::list, "APPEND(S) on ", kind_name(list->kind));
    for (const Ref& v : items) adopt(*list, v);
  }

  void step(unsigned char op);
  Ref reduce(const Ref& callable, const Ref& args);
  Ref persistent_load(const Ref& pid);
  Ref rebuild_tensor(const std::vector<Ref>& args);
  void build(const Ref& state);

  std::string_view bytes_;
  const StorageLoader& load_;
  const std::string& where_;
  size_t pos_ = 0, op_at_ = 0;
  std::vector<Ref> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Ref> memo_;
  std::unordered_map<std::string, Ref> storages_;  // by key: two tensors may share one
  size_t values_ = 0;
  int64_t storage_bytes_ = 0;                              // of every storage loaded
  int64_t copied_bytes_ = 0;                               // of the views copied to dense tensors
  std::vector<std::pair<std::string, int64_t>> versions_;  // from _metadata
  const Value* versions_owner_ = nullptr;                  // the dict BUILD gave them to
};

// One opcode per case, as a table (Python's Lib/pickletools.py documents each).
// clang-format off
void Unpickler::step(unsigned char op) {
  switch (op) {
    case 0x80: {  // PROTO
      const uint64_t v = take_le(1);
      check(v >= 2 && v <= 5, "pickle protocol ", v, " (torch.save writes 2)");
      return;
    }
    case 0x95: take(8); return;  // FRAME: a length hint for buffered readers
    case '}': push(make(Kind::dict)); return;
    case ']': push(make(Kind::list)); return;
    case ')': push(make(Kind::tuple)); return;
    case '(':
      check(marks_.size() < kMaxMarks, "more than ", kMaxMarks, " nested MARKs (kMaxMarks)");
      marks_.push_back(stack_.size());
      return;
    case 'X': push(string(take_le(4))); return;   // BINUNICODE
    case 0x8c: push(string(take_le(1))); return;  // SHORT_BINUNICODE
    case 'J': push(integer(static_cast<int32_t>(take_le(4)))); return;  // BININT
    case 'K': push(integer(static_cast<int64_t>(take_le(1)))); return;  // BININT1
    case 'M': push(integer(static_cast<int64_t>(take_le(2)))); return;  // BININT2
    case 0x8a: {  // LONG1: n bytes, little-endian two's complement
      const uint64_t n = take_le(1);
      check(n <= 8, "LONG1 of ", n, " bytes does not fit 64 bits");
      uint64_t v = n == 0 ? 0 : take_le(n);
      if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~0ull << (8 * n);  // sign-extend
      push(integer(static_cast<int64_t>(v)));
      return;
    }
    case 'G': {  // BINFLOAT: big-endian IEEE double
      const std::string_view b = take(8);
      uint64_t bits = 0;
      for (char c : b) bits = (bits << 8) | static_cast<unsigned char>(c);
      Ref r = make(Kind::floating);
      r->f = std::bit_cast<double>(bits);
      push(r);
      return;
    }
    case 0x88: case 0x89: {  // NEWTRUE, NEWFALSE
      Ref r = make(Kind::boolean);
      r->i = op == 0x88;
      push(r);
      return;
    }
    case 'N': push(make(Kind::none)); return;
    case 't': push(tuple(pop_mark())); return;
    case 0x85: case 0x86: case 0x87: {  // TUPLE1, TUPLE2, TUPLE3
      std::vector<Ref> items(op - 0x84);
      for (size_t k = items.size(); k-- > 0;) items[k] = pop();
      push(tuple(items));
      return;
    }
    case 's': {  // SETITEM
      Ref value = pop(), key = pop();
      set_items(top(), {key, value});
      return;
    }
    case 'u': { std::vector<Ref> kv = pop_mark(); set_items(top(), kv); return; }   // SETITEMS
    case 'a': { Ref v = pop(); append(top(), {v}); return; }                       // APPEND
    case 'e': { std::vector<Ref> items = pop_mark(); append(top(), items); return; }  // APPENDS
    case 'q': memo_put(take_le(1)); return;     // BINPUT
    case 'r': memo_put(take_le(4)); return;     // LONG_BINPUT
    case 0x94: memo_put(memo_.size()); return;  // MEMOIZE
    case 'h': push(memo_get(take_le(1))); return;  // BINGET
    case 'j': push(memo_get(take_le(4))); return;  // LONG_BINGET
    case 'c': {  // GLOBAL "module\nname\n"
      const std::string module = take_line();
      global(module, take_line());
      return;
    }
    case 0x93: {  // STACK_GLOBAL
      Ref name = pop(), module = pop();
      check(name->kind == Kind::string && module->kind == Kind::string,
            "STACK_GLOBAL of non-strings");
      global(module->s, name->s);
      return;
    }
    case 'R': {  // REDUCE
      Ref args = pop(), callable = pop();
      push(reduce(callable, args));
      return;
    }
    case 'b': build(pop()); return;  // BUILD: only OrderedDict's attributes (its _metadata)
    case 'Q': push(persistent_load(pop())); return;  // BINPERSID
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", op);
      check(false, "unknown or unsupported pickle opcode ", hex,
            " (a torch.save'd state_dict does not use it)");
    }
  }
}
// clang-format on

// The state BUILD sets on an OrderedDict: {"_metadata": {module path: {"version": v}}} as
// torch's state_dict() writes it. The versions are kept; any other attribute is dropped.
void Unpickler::build(const Ref& state) {
  const Ref target = top();
  check(target->kind == Kind::dict, "BUILD on ", kind_name(target->kind),
        " (only a dict's state is allowed)");
  if (state->kind != Kind::dict) return;
  for (size_t k = 0; k + 1 < state->items.size(); k += 2) {
    const Value& name = *state->items[k];
    const Value& metadata = *state->items[k + 1];
    if (name.kind != Kind::string || name.s != "_metadata") continue;
    check(metadata.kind == Kind::dict, "_metadata is ", kind_name(metadata.kind), ", not a dict");
    versions_.clear();
    versions_owner_ = target.get();
    for (size_t m = 0; m + 1 < metadata.items.size(); m += 2) {
      const Value& path = *metadata.items[m];
      const Value& local = *metadata.items[m + 1];
      check(path.kind == Kind::string && local.kind == Kind::dict, "_metadata maps ",
            kind_name(path.kind), " to ", kind_name(local.kind), ", not module paths to dicts");
      for (size_t v = 0; v + 1 < local.items.size(); v += 2) {
        const Value& key = *local.items[v];
        const Value& version = *local.items[v + 1];
        if (key.kind != Kind::string || key.s != "version") continue;
        check(version.kind == Kind::integer && version.i >= 0 && version.i <= INT32_MAX,
              "_metadata gives module '", path.s, "' a version that is not an int in [0, ",
              INT32_MAX, "]");
        versions_.emplace_back(path.s, version.i);
      }
    }
  }
}

Ref Unpickler::reduce(const Ref& callable, const Ref& args) {
  check(callable->kind == Kind::global, "REDUCE calls ", kind_name(callable->kind));
  check(args->kind == Kind::tuple, "REDUCE with ", kind_name(args->kind), " as arguments");
  const std::string& f = callable->s;
  const std::vector<Ref>& a = args->items;
  if (f == "collections.OrderedDict") {
    check(a.empty(), "OrderedDict called with ", a.size(), " arguments");
    return make(Kind::dict);
  }
  if (f == "torch._utils._rebuild_tensor_v2" || f == "torch._utils._rebuild_tensor") {
    check(a.size() >= 4 && a.size() <= 7, f, " called with ", a.size(), " arguments");
    return rebuild_tensor(a);
  }
  if (f == "torch._utils._rebuild_parameter") {
    check(!a.empty() && a[0]->kind == Kind::tensor, f, " called without a tensor");
    return a[0];
  }
  check(false, "REDUCE calls ", f, " (a storage class is never called in a state_dict)");
  return nullptr;
}

Ref Unpickler::persistent_load(const Ref& pid) {
  // ('storage', torch.<Type>Storage, key, location, numel); the location ('cpu', 'cuda:0')
  // does not matter: everything is loaded to the CPU.
  const auto& p = pid->items;
  check(pid->kind == Kind::tuple && p.size() == 5 && p[0]->kind == Kind::string &&
            p[0]->s == "storage" && p[1]->kind == Kind::global && p[2]->kind == Kind::string &&
            p[4]->kind == Kind::integer,
        "persistent id is not ('storage', type, key, location, numel)");
  const StorageType* type = storage_type(p[1]->s);
  check(type != nullptr, "persistent id names ", p[1]->s, ", not a storage type");
  check(type->supported, "tensor data of dtype ", type->dtype_name, " (", p[1]->s,
        ") is not supported: float32 and int64 are (convert with .float() before saving)");
  const std::string& key = p[2]->s;
  const int64_t numel = p[4]->i;
  check(numel >= 0, "storage '", key, "' claims ", numel, " elements");
  auto it = storages_.find(key);
  if (it != storages_.end()) {
    check(it->second->dtype == type->dtype && it->second->numel == numel, "storage '", key,
          "' is described twice differently");
    return it->second;
  }
  Ref r = make(Kind::storage);
  r->dtype = type->dtype;
  r->numel = numel;
  r->storage = load_(key, type->dtype, numel);
  storage_bytes_ += numel * static_cast<int64_t>(dtype_size(type->dtype));  // the loader checked
  storages_.emplace(key, r);
  return r;
}

Ref Unpickler::rebuild_tensor(const std::vector<Ref>& a) {
  // (storage, storage_offset, size, stride, ...): the view storage[offset + sum_d i_d * stride_d].
  check(a[0]->kind == Kind::storage, "tensor built from ", kind_name(a[0]->kind),
        ", not a storage");
  check(a[1]->kind == Kind::integer && a[1]->i >= 0,
        "tensor storage offset is not a non-negative int");
  check(a[2]->kind == Kind::tuple && a[3]->kind == Kind::tuple &&
            a[2]->items.size() == a[3]->items.size() && a[2]->items.size() <= kMaxRank,
        "tensor size and stride must be tuples of the same length, at most ", kMaxRank,
        " (kMaxRank)");
  const Value& storage = *a[0];
  const int64_t offset = a[1]->i;
  Shape shape, strides;
  for (size_t d = 0; d < a[2]->items.size(); ++d) {
    const Value& size = *a[2]->items[d];
    const Value& stride = *a[3]->items[d];
    check(
        size.kind == Kind::integer && size.i >= 0 && stride.kind == Kind::integer && stride.i >= 0,
        "tensor size and stride must hold non-negative ints");
    shape.push_back(size.i);
    strides.push_back(stride.i);
  }
  int64_t numel = 1;
  for (int64_t e : shape)
    check(!__builtin_mul_overflow(numel, e, &numel), "tensor shape ", to_string(shape),
          " overflows a 64-bit element count");
  if (numel > 0) {
    int64_t last = offset;  // the largest element index the view reaches
    for (size_t d = 0; d < shape.size(); ++d) {
      int64_t span = 0;
      check(!__builtin_mul_overflow(shape[d] - 1, strides[d], &span) &&
                !__builtin_add_overflow(last, span, &last),
            "tensor shape ", to_string(shape), " with strides ", to_string(strides),
            " overflows a 64-bit offset");
    }
    check(last < storage.numel, "tensor of shape ", to_string(shape), ", strides ",
          to_string(strides), " and offset ", offset, " reaches element ", last,
          " but its storage holds ", storage.numel);
  }
  Ref r = make(Kind::tensor);
  Tensor view =
      Tensor::view_of(storage.storage, shape, strides, numel > 0 ? offset : 0, storage.dtype);
  if (!view.is_contiguous()) {
    // A copy: bounded in all by a multiple of what the file holds, before allocating (stride 0
    // lets a view of one stored element claim any number of elements).
    int64_t bytes = 0;
    const int64_t allowed = kMaxExpansionRatio * storage_bytes_ + kMaxExpandedBytes;
    check(!__builtin_mul_overflow(numel, static_cast<int64_t>(dtype_size(storage.dtype)), &bytes) &&
              bytes <= allowed - copied_bytes_,
          "tensor of shape ", to_string(shape), " with strides ", to_string(strides),
          " would be copied into ", numel, " elements; copies of views may take at most ",
          kMaxExpansionRatio, " times the ", storage_bytes_, " bytes of the storages plus ",
          kMaxExpandedBytes, " (kMaxExpansionRatio, kMaxExpandedBytes), and ", copied_bytes_,
          " are taken");
    copied_bytes_ += bytes;
    view = view.contiguous();
  }
  r->tensor = view;
  return r;
}

}  // namespace

StateDictPickle load_state_dict(std::string_view bytes, const StorageLoader& load_storage,
                                const std::string& where) {
  return Unpickler(bytes, load_storage, where).result();
}

}  // namespace cnn::io::pickle
