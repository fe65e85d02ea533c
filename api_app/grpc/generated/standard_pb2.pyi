from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Task(_message.Message):
    __slots__ = ("ID", "Next", "Prior", "Owner", "State", "Input", "Output", "Channel", "HashCode", "RetryCount", "CreateTime", "UpdateTime", "RetryMaxLimit")
    ID_FIELD_NUMBER: _ClassVar[int]
    NEXT_FIELD_NUMBER: _ClassVar[int]
    PRIOR_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    HASHCODE_FIELD_NUMBER: _ClassVar[int]
    RETRYCOUNT_FIELD_NUMBER: _ClassVar[int]
    CREATETIME_FIELD_NUMBER: _ClassVar[int]
    UPDATETIME_FIELD_NUMBER: _ClassVar[int]
    RETRYMAXLIMIT_FIELD_NUMBER: _ClassVar[int]
    ID: int
    Next: int
    Prior: int
    Owner: int
    State: str
    Input: str
    Output: str
    Channel: str
    HashCode: str
    RetryCount: int
    CreateTime: str
    UpdateTime: str
    RetryMaxLimit: int
    def __init__(self, ID: _Optional[int] = ..., Next: _Optional[int] = ..., Prior: _Optional[int] = ..., Owner: _Optional[int] = ..., State: _Optional[str] = ..., Input: _Optional[str] = ..., Output: _Optional[str] = ..., Channel: _Optional[str] = ..., HashCode: _Optional[str] = ..., RetryCount: _Optional[int] = ..., CreateTime: _Optional[str] = ..., UpdateTime: _Optional[str] = ..., RetryMaxLimit: _Optional[int] = ...) -> None: ...

class CreateTaskRequest(_message.Message):
    __slots__ = ("Task",)
    TASK_FIELD_NUMBER: _ClassVar[int]
    Task: Task
    def __init__(self, Task: _Optional[_Union[Task, _Mapping]] = ...) -> None: ...

class CreateTaskResponse(_message.Message):
    __slots__ = ("State", "Message", "Data")
    STATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    State: int
    Message: str
    Data: str
    def __init__(self, State: _Optional[int] = ..., Message: _Optional[str] = ..., Data: _Optional[str] = ...) -> None: ...

class QueryTaskByIDRequest(_message.Message):
    __slots__ = ("ID",)
    ID_FIELD_NUMBER: _ClassVar[int]
    ID: int
    def __init__(self, ID: _Optional[int] = ...) -> None: ...

class QueryTaskByIDResponse(_message.Message):
    __slots__ = ("State", "Message", "Data")
    STATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    State: int
    Message: str
    Data: Task
    def __init__(self, State: _Optional[int] = ..., Message: _Optional[str] = ..., Data: _Optional[_Union[Task, _Mapping]] = ...) -> None: ...

class CancelTaskByIDRequest(_message.Message):
    __slots__ = ("ID",)
    ID_FIELD_NUMBER: _ClassVar[int]
    ID: int
    def __init__(self, ID: _Optional[int] = ...) -> None: ...

class CancelTaskByIDResponse(_message.Message):
    __slots__ = ("State", "Message", "Data")
    STATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    State: int
    Message: str
    Data: _containers.RepeatedCompositeFieldContainer[Task]
    def __init__(self, State: _Optional[int] = ..., Message: _Optional[str] = ..., Data: _Optional[_Iterable[_Union[Task, _Mapping]]] = ...) -> None: ...

class QueryTaskByOwnerRequest(_message.Message):
    __slots__ = ("Owner", "Limit", "Offset")
    OWNER_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    Owner: int
    Limit: int
    Offset: int
    def __init__(self, Owner: _Optional[int] = ..., Limit: _Optional[int] = ..., Offset: _Optional[int] = ...) -> None: ...

class QueryTaskByOwnerResponse(_message.Message):
    __slots__ = ("State", "Message", "Total", "Data")
    STATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    State: int
    Message: str
    Total: int
    Data: _containers.RepeatedCompositeFieldContainer[Task]
    def __init__(self, State: _Optional[int] = ..., Message: _Optional[str] = ..., Total: _Optional[int] = ..., Data: _Optional[_Iterable[_Union[Task, _Mapping]]] = ...) -> None: ...

class QueryTaskByHashCodeRequest(_message.Message):
    __slots__ = ("HashCode",)
    HASHCODE_FIELD_NUMBER: _ClassVar[int]
    HashCode: str
    def __init__(self, HashCode: _Optional[str] = ...) -> None: ...

class QueryTaskByHashCodeResponse(_message.Message):
    __slots__ = ("State", "Message", "Data")
    STATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    State: int
    Message: str
    Data: Task
    def __init__(self, State: _Optional[int] = ..., Message: _Optional[str] = ..., Data: _Optional[_Union[Task, _Mapping]] = ...) -> None: ...

class QueryLengthByChannelRequest(_message.Message):
    __slots__ = ("Channel",)
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    Channel: str
    def __init__(self, Channel: _Optional[str] = ...) -> None: ...

class QueryLengthByChannelResponse(_message.Message):
    __slots__ = ("State", "Message", "Data")
    STATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    State: int
    Message: str
    Data: int
    def __init__(self, State: _Optional[int] = ..., Message: _Optional[str] = ..., Data: _Optional[int] = ...) -> None: ...

class ReportTaskResultRequest(_message.Message):
    __slots__ = ("ID", "State", "Output")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    ID: int
    State: int
    Output: str
    def __init__(self, ID: _Optional[int] = ..., State: _Optional[int] = ..., Output: _Optional[str] = ...) -> None: ...

class ReportTaskResultResponse(_message.Message):
    __slots__ = ("State", "Message", "Data")
    STATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    State: int
    Message: str
    Data: int
    def __init__(self, State: _Optional[int] = ..., Message: _Optional[str] = ..., Data: _Optional[int] = ...) -> None: ...

class ReceiveQueueByChannelRequest(_message.Message):
    __slots__ = ("Channel",)
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    Channel: str
    def __init__(self, Channel: _Optional[str] = ...) -> None: ...

class ReceiveQueueByChannelResponse(_message.Message):
    __slots__ = ("Tasks",)
    TASKS_FIELD_NUMBER: _ClassVar[int]
    Tasks: Task
    def __init__(self, Tasks: _Optional[_Union[Task, _Mapping]] = ...) -> None: ...
