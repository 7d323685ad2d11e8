package node

import (
	"errors"
	"math"
	"unsafe"

	rclmsg "github.com/aether-lab/aether-bridge/msgs/gen/rcl_interfaces/msg"
	rclsrv "github.com/aether-lab/aether-bridge/msgs/gen/rcl_interfaces/srv"
	"github.com/aether-lab/aether-bridge/pkg/bridge"
	"github.com/aether-lab/aether-bridge/pkg/rosparam"
)

// serveParameters offers the standard parameter services under the node's
// name (~/list_parameters, ~/get_parameters, …) so `ros2 param` and rclpy's
// parameter client work on the bridge.
func (n *Node) serveParameters() error {
	ps := bridge.NewParamServer(n.params, n.settings, n.applyLive)
	err := errors.Join(
		serve(n, "~/list_parameters", rclsrv.ListParametersTypeSupport, unsafe.Sizeof(rclsrv.CListParameters_Response{}),
			func(req *rclsrv.ListParameters_Request) *rclsrv.ListParameters_Response {
				resp := rclsrv.NewListParameters_Response()
				resp.Result.Names, resp.Result.Prefixes = ps.List(req.Prefixes, req.Depth)
				return resp
			}),
		serve(n, "~/get_parameters", rclsrv.GetParametersTypeSupport, unsafe.Sizeof(rclsrv.CGetParameters_Response{}),
			func(req *rclsrv.GetParameters_Request) *rclsrv.GetParameters_Response {
				resp := rclsrv.NewGetParameters_Response()
				for _, v := range ps.Get(req.Names) {
					resp.Values = append(resp.Values, toMsgValue(v))
				}
				return resp
			}),
		serve(n, "~/get_parameter_types", rclsrv.GetParameterTypesTypeSupport, unsafe.Sizeof(rclsrv.CGetParameterTypes_Response{}),
			func(req *rclsrv.GetParameterTypes_Request) *rclsrv.GetParameterTypes_Response {
				resp := rclsrv.NewGetParameterTypes_Response()
				for _, v := range ps.Get(req.Names) {
					resp.Types = append(resp.Types, uint8(v.Type))
				}
				return resp
			}),
		serve(n, "~/describe_parameters", rclsrv.DescribeParametersTypeSupport, unsafe.Sizeof(rclsrv.CDescribeParameters_Response{}),
			func(req *rclsrv.DescribeParameters_Request) *rclsrv.DescribeParameters_Response {
				resp := rclsrv.NewDescribeParameters_Response()
				for _, d := range ps.Describe(req.Names) {
					resp.Descriptors = append(resp.Descriptors, toMsgDescriptor(d))
				}
				return resp
			}),
		serve(n, "~/set_parameters", rclsrv.SetParametersTypeSupport, unsafe.Sizeof(rclsrv.CSetParameters_Response{}),
			func(req *rclsrv.SetParameters_Request) *rclsrv.SetParameters_Response {
				resp := rclsrv.NewSetParameters_Response()
				rs := ps.Set(fromMsgParams(req.Parameters), false)
				for _, r := range rs {
					resp.Results = append(resp.Results, rclmsg.SetParametersResult{Successful: r.OK, Reason: r.Reason})
				}
				// The event goes out before the answer, as rclcpp's parameter service does.
				n.publishParameterEvent(nil, changedParameters(req.Parameters, func(i int) bool { return i < len(rs) && rs[i].OK }))
				return resp
			}),
		serve(n, "~/set_parameters_atomically", rclsrv.SetParametersAtomicallyTypeSupport,
			unsafe.Sizeof(rclsrv.CSetParametersAtomically_Response{}),
			func(req *rclsrv.SetParametersAtomically_Request) *rclsrv.SetParametersAtomically_Response {
				resp := rclsrv.NewSetParametersAtomically_Response()
				rs := ps.Set(fromMsgParams(req.Parameters), true)
				if len(rs) > 0 {
					resp.Result = rclmsg.SetParametersResult{Successful: rs[0].OK, Reason: rs[0].Reason}
				} else {
					resp.Result.Successful = true
				}
				n.publishParameterEvent(nil, changedParameters(req.Parameters, func(int) bool { return resp.Result.Successful }))
				return resp
			}),
	)
	if err != nil {
		return err
	}
	return n.createParameterEvents()
}

// applyLive takes the parameters that may change at run time into effect.
func (n *Node) applyLive(s bridge.Settings) {
	n.core.SetClamp(s.Clamp)
	if err := n.hand.SetMapping(s.Hand); err != nil {
		n.log.Error("applying hand.* parameters", "err", err)
	}
	n.log.Info("parameters changed", "clamp_to_workspace", s.Clamp)
}

func fromMsgParams(ps []rclmsg.Parameter) []bridge.NamedValue {
	out := make([]bridge.NamedValue, len(ps))
	for i, p := range ps {
		v := p.Value
		out[i] = bridge.NamedValue{Name: p.Name, Value: rosparam.Value{
			Type: rosparam.Type(v.Type), BoolValue: v.BoolValue, IntegerValue: v.IntegerValue,
			DoubleValue: v.DoubleValue, StringValue: v.StringValue, ByteArrayValue: v.ByteArrayValue,
			BoolArrayValue: v.BoolArrayValue, IntegerArrayValue: v.IntegerArrayValue,
			DoubleArrayValue: v.DoubleArrayValue, StringArrayValue: v.StringArrayValue,
		}}
	}
	return out
}

func toMsgValue(v rosparam.Value) rclmsg.ParameterValue {
	return rclmsg.ParameterValue{Type: uint8(v.Type), BoolValue: v.BoolValue, IntegerValue: v.IntegerValue,
		DoubleValue: v.DoubleValue, StringValue: v.StringValue, ByteArrayValue: v.ByteArrayValue,
		BoolArrayValue: v.BoolArrayValue, IntegerArrayValue: v.IntegerArrayValue,
		DoubleArrayValue: v.DoubleArrayValue, StringArrayValue: v.StringArrayValue}
}

func toMsgDescriptor(d rosparam.Descriptor) rclmsg.ParameterDescriptor {
	out := rclmsg.ParameterDescriptor{Name: d.Name, Type: uint8(d.Type), Description: d.Description, ReadOnly: d.ReadOnly}
	if r := d.Range; r != nil {
		switch d.Type {
		case rosparam.TypeInteger, rosparam.TypeIntegerArray:
			out.IntegerRange = []rclmsg.IntegerRange{{FromValue: clampInt(r.Min), ToValue: clampInt(r.Max), Step: uint64(r.Step)}}
		case rosparam.TypeDouble, rosparam.TypeDoubleArray:
			out.FloatingPointRange = []rclmsg.FloatingPointRange{{FromValue: r.Min, ToValue: r.Max, Step: r.Step}}
		}
	}
	return out
}

func clampInt(f float64) int64 {
	switch {
	case f <= math.MinInt64:
		return math.MinInt64
	case f >= math.MaxInt64:
		return math.MaxInt64
	}
	return int64(f)
}
