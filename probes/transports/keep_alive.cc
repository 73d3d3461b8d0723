#include "probes/transports/keep_alive.h"

namespace registrar::probes {

bool KeepAliveBudget::Keep(KeptConnection* c, MonoTime now, Duration period) {
  if (!c->counted_) {
    if (kept_ >= capacity_) {
      KeptConnection* lru = head_;
      if (lru == nullptr || now - lru->idle_since_ <= 2 * lru->period_) return false;
      Release(lru);
      lru->Retire();
      ++retired_;
    }
    c->counted_ = true;
    ++kept_;
  }
  if (c->idle_) Unlink(c);
  c->idle_ = true;
  c->idle_since_ = now;
  c->period_ = period;
  c->prev_ = tail_;
  c->next_ = nullptr;
  if (tail_ != nullptr) tail_->next_ = c;
  tail_ = c;
  if (head_ == nullptr) head_ = c;
  return true;
}

void KeepAliveBudget::Use(KeptConnection* c) {
  if (c->idle_) Unlink(c);
}

void KeepAliveBudget::Release(KeptConnection* c) {
  if (c->idle_) Unlink(c);
  if (c->counted_) {
    c->counted_ = false;
    --kept_;
  }
}

void KeepAliveBudget::Unlink(KeptConnection* c) {
  if (c->prev_ != nullptr) c->prev_->next_ = c->next_;
  if (c->next_ != nullptr) c->next_->prev_ = c->prev_;
  if (head_ == c) head_ = c->next_;
  if (tail_ == c) tail_ = c->prev_;
  c->prev_ = c->next_ = nullptr;
  c->idle_ = false;
}

}  // namespace registrar::probes
