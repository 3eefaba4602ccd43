#include "server/commit_group.h"

#include <algorithm>

#include "server/connection.h"
#include "server/dispatch.h"

namespace jadedb::server {

asio::execution_context::id CommitGroup::id;

CommitGroup::CommitGroup(asio::execution_context& ctx, Keyspace* ks)
    : asio::execution_context::service(ctx), io_(static_cast<asio::io_context&>(ctx)), wc_(ks) {
  wc_.set_listener(this);
}

CommitGroup::~CommitGroup() {
  // Pending writes were never acknowledged: dropping them (and releasing their stripes, which
  // the WriteContext's destructor does) is correct.
  wc_.set_listener(nullptr);
}

void CommitGroup::Leave(Dispatcher* d) {
  auto it = std::find(members_.begin(), members_.end(), d);
  if (it != members_.end()) members_.erase(it);
}

void CommitGroup::Defer(std::shared_ptr<Connection> c) {
  deferred_.push_back(std::move(c));
  if (flush_posted_) return;
  flush_posted_ = true;
  // Posted from a handler, this runs after the handlers already queued by the reactor round
  // (the other connections' reads), so they join the same commit.
  asio::post(io_.get_executor(), [this] { Flush(); });
}

void CommitGroup::Flush() {
  flush_posted_ = false;
  wc_.Commit();  // resolves every member through OnCommit
  std::vector<std::shared_ptr<Connection>> ready;
  ready.swap(deferred_);
  for (const std::shared_ptr<Connection>& c : ready) c->OnGroupCommitted();
}

void CommitGroup::OnCommit(const Status& s) {
  std::vector<Dispatcher*> members;
  members.swap(members_);
  for (Dispatcher* d : members) d->Resolve(s);
}

void CommitGroup::shutdown() {
  // The io_context is going away with its handlers: nothing will be sent. Dropping the
  // connections here (not in the destructor) lets them leave while the group is intact.
  std::vector<std::shared_ptr<Connection>> dropped;
  dropped.swap(deferred_);
  dropped.clear();
}

}  // namespace jadedb::server
