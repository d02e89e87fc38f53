-- What a check saw besides status and timings, by kind (beacon_core::ping::Details as compact JSON): the leaf
-- certificate's expiry, the HTTP protocol when not HTTP/1.1, a DNS response code and answers. NULL when empty.
ALTER TABLE pings ADD COLUMN details TEXT;
