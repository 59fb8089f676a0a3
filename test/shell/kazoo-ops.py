# kazoo (Debian's python3-kazoo) against a zabkit server: run every kind of operation and
# print what came back, one JSON object; the vitest side checks it.
import json, sys, threading
from kazoo.client import KazooClient
from kazoo.exceptions import NodeExistsError, NoNodeError, BadVersionError, NotEmptyError, NoAuthError
from kazoo.security import make_digest_acl

hosts = sys.argv[1]
out = {}
zk = KazooClient(hosts=hosts, timeout=10)
zk.start(timeout=10)
out['version'] = list(zk.server_version())

zk.create('/kz', b'root')
out['seq'] = [zk.create('/kz/s-', b'', sequence=True) for _ in range(3)]
out['eph'] = zk.create('/kz/e', b'', ephemeral=True)
try:
    zk.create('/kz', b'')
except NodeExistsError:
    out['exists_error'] = 'NodeExistsError'
data, stat = zk.get('/kz')
out['get'] = [data.decode(), stat.version, stat.numChildren]
out['set_version'] = zk.set('/kz', b'v2', version=0).version
try:
    zk.set('/kz', b'v3', version=0)
except BadVersionError:
    out['bad_version'] = 'BadVersionError'
out['children'] = sorted(zk.get_children('/kz'))
out['exists_missing'] = zk.exists('/kz/none') is None
try:
    zk.delete('/kz')
except NotEmptyError:
    out['not_empty'] = 'NotEmptyError'
try:
    zk.get('/kz/none')
except NoNodeError:
    out['no_node'] = 'NoNodeError'

# watches: data and children, each fired once
events = []
done = threading.Event()
def on_data(ev):
    events.append(['data', ev.type, ev.path])
def on_kids(ev):
    events.append(['child', ev.type, ev.path])
    done.set()
zk.get('/kz', watch=on_data)
zk.get_children('/kz', watch=on_kids)
zk.set('/kz', b'v3')
zk.create('/kz/new', b'')
done.wait(5)
zk.set('/kz', b'v4')  # the one-shot data watch must not fire again
zk.sync('/kz')
out['events'] = events

# transactions
t = zk.transaction()
t.create('/kz/t1', b'a')
t.set_data('/kz/t1', b'b')
t.check('/kz/t1', 1)
out['txn_ok'] = [type(r).__name__ if not isinstance(r, (str, bool)) else r for r in t.commit()]
t = zk.transaction()
t.create('/kz/t2', b'')
t.check('/kz/t1', 7)
out['txn_failed'] = [type(r).__name__ for r in t.commit()]
out['txn_rolled_back'] = zk.exists('/kz/t2') is None

# digest ACLs
zk.add_auth('digest', 'bob:pw')
zk.create('/kz/acl', b'secret', acl=[make_digest_acl('bob', 'pw', all=True)])
other = KazooClient(hosts=hosts, timeout=10)
other.start(timeout=10)
try:
    other.get('/kz/acl')
except NoAuthError:
    out['no_auth'] = 'NoAuthError'
other.add_auth('digest', 'bob:pw')
out['auth_read'] = other.get('/kz/acl')[0].decode()
out['acl'] = [[a.perms, a.id.scheme, a.id.id] for a in zk.get_acls('/kz/acl')[0]]

# ephemerals of a closed session go; the other client sees it
gone = threading.Event()
other.exists('/kz/e', watch=lambda ev: gone.set())
zk.stop()
zk.close()
out['ephemeral_deleted'] = gone.wait(5) and other.exists('/kz/e') is None
other.delete('/kz', recursive=True)
out['cleaned'] = other.exists('/kz') is None
other.stop()
other.close()
print(json.dumps(out))
