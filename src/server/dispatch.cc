#include "server/dispatch.h"

#include "server/commit_group.h"
#include "server/server.h"

namespace jadedb::server {
namespace {

constexpr size_t kMaxPendingBytes = 4 << 20;

std::string UnknownCommandError(const std::vector<std::string_view>& args) {
  std::string msg = "ERR unknown command '" + std::string(args[0].substr(0, 128)) +
                    "', with args beginning with: ";
  for (size_t i = 1; i < args.size() && i < 4; i++) {
    msg += "'" + std::string(args[i].substr(0, 128)) + "' ";
  }
  return msg;
}

}  // namespace

void RunCommand(Server* server, const CommandSpec& spec, CommandCall& call,
                CommandClock::time_point* clock) {
  const CommandClock::time_point t0 = *clock;
  spec.fn(call);
  *clock = CommandClock::now();
  server->stats()->RecordCommand(spec.id, CommandClock::Micros(t0, *clock), call.failed);
}

Dispatcher::Dispatcher(Server* server, ClientState* client, std::string* out, CommitGroup* group)
    : server_(server), client_(client), out_(out), writer_(out), group_(group), wc_(group->wc()) {}

Dispatcher::~Dispatcher() {
  if (member_) group_->Leave(this);
}

void Dispatcher::Join(size_t reply_start) {
  member_ = true;
  group_start_ = reply_start;
  group_replies_ = 0;
  group_->Join(this);
}

void Dispatcher::Resolve(const Status& s) {
  member_ = false;
  if (!s.ok()) FailGroup(s);
  group_start_ = out_->size();
  group_replies_ = 0;
}

void Dispatcher::FailGroup(const Status& s) {
  // Replace every reply since the group began: none of its writes is durable.
  out_->resize(group_start_);
  const std::string msg = "ERR write failed: " + s.ToString();
  for (size_t i = 0; i < group_replies_; i++) writer_.Error(msg);
}

void Dispatcher::CommitNow() {
  clock_valid_ = false;
  wc_->Commit();  // resolves this dispatcher too, if a member
}

bool Dispatcher::EndRead() {
  clock_valid_ = false;
  if (!member_) return false;
  if (wc_->pending()) return true;
  // Nothing of the thread is uncommitted: every reply is final.
  group_->Leave(this);
  member_ = false;
  group_start_ = out_->size();
  group_replies_ = 0;
  return false;
}

void Dispatcher::Execute(const std::vector<std::string_view>& args) {
  if (args.empty()) return;  // a blank inline line
  const CommandSpec* spec = Find(args[0]);
  Reply(spec, args);
  group_replies_++;
  if (force_end_ || wc_->pending_bytes() > kMaxPendingBytes ||
      wc_->pending_count() > wc_->keyspace()->max_batch_records()) {
    force_end_ = false;
    CommitNow();
  }
}

const CommandSpec* Dispatcher::Find(std::string_view name) {
  if (last_spec_ != nullptr && name == last_name_) return last_spec_;
  const CommandSpec* spec = server_->commands().Find(name);
  if (spec != nullptr) {
    last_spec_ = spec;
    last_name_.assign(name);
  }
  return spec;
}

void Dispatcher::Reply(const CommandSpec* spec, const std::vector<std::string_view>& args) {
  const bool auth_needed = !client_->authed && server_->auth_required();
  if (spec == nullptr) {
    if (auth_needed) return writer_.Error("NOAUTH Authentication required.");
    if (client_->in_multi) client_->multi_error = true;
    return writer_.Error(UnknownCommandError(args));
  }
  const int n = static_cast<int>(args.size());
  if ((spec->arity > 0 && n != spec->arity) || (spec->arity < 0 && n < -spec->arity)) {
    if (auth_needed && !(spec->flags & kCmdNoAuth)) {
      return writer_.Error("NOAUTH Authentication required.");
    }
    if (client_->in_multi) client_->multi_error = true;
    return writer_.Error(WrongArityError(args[0]));
  }
  if (auth_needed && !(spec->flags & kCmdNoAuth)) {
    return writer_.Error("NOAUTH Authentication required.");
  }
  if (client_->in_multi && !(spec->flags & kCmdNoQueue)) {
    client_->queued.emplace_back(args.begin(), args.end());
    return writer_.Simple("QUEUED");
  }

  Status locked;
  const uint64_t lock_events = wc_->lock_events();
  if (spec->flags & kCmdExec) {
    bool all = false;
    std::vector<std::string_view> keys;
    for (const std::vector<std::string>& q : client_->queued) {
      const CommandSpec* qs = server_->commands().Find(q[0]);
      if (qs->flags & (kCmdAllKeys | kCmdBarrier)) all = true;
      std::vector<std::string_view> qargs(q.begin(), q.end());
      for (std::string_view k : CommandKeys(*qs, qargs)) keys.push_back(k);
    }
    if (client_->in_multi && !client_->multi_error) {
      locked = all ? wc_->LockAll() : wc_->LockKeys(keys);
    }
  } else if (spec->flags & kCmdAllKeys) {
    locked = wc_->LockAll();
  } else if (spec->flags & kCmdBarrier) {
    locked = wc_->Commit();
  } else if (spec->flags & kCmdWrite) {
    if (spec->first_key > 0 && spec->last_key == spec->first_key) {
      locked = wc_->LockKey(args[spec->first_key]);  // the common case, without a key vector
    } else {
      locked = wc_->LockKeys(CommandKeys(*spec, args));
    }
  }
  // A commit made while locking (a busy stripe, a barrier) resolved the earlier replies with
  // `locked` as its status (CommitGroup::OnCommit).
  (void)locked;

  // Lock waits and commits are not part of the command's latency.
  if (!clock_valid_ || wc_->lock_events() != lock_events) clock_ = CommandClock::now();
  const size_t reply_start = out_->size();
  const size_t writes = wc_->pending_count();
  const uint64_t overlay_reads = wc_->overlay_reads();
  CommandCall call{server_, client_, wc_, &writer_, args};
  RunCommand(server_, *spec, call, &clock_);
  clock_valid_ = true;
  // A reply that depends on uncommitted writes (the command wrote, or read a pending value)
  // waits for their commit and is replaced if it fails; so are the replies after it. Replies
  // that depend on none are final at once: a client that only reads never waits.
  if (!member_ && (wc_->pending_count() != writes || wc_->overlay_reads() != overlay_reads)) {
    Join(reply_start);
  }
  if (spec->flags & (kCmdAllKeys | kCmdExec)) {
    // Commit right after: these hold many (or all) stripes, which other clients wait for.
    force_end_ = true;
  }
}

}  // namespace jadedb::server
